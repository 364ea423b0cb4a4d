"""The one time grammar: every date, clock and "from now" a nurse types, for every command.

What a form means never depends on the command it is typed in:

- a clock alone (``15:00``, ``下午3点``, ``3pm``, ``8点半``, ``0800``) is today's, never
  silently moved to tomorrow or yesterday: ``08:00`` typed at 21:00 is this morning (and a
  reminder says "in the past"; ``明天 8:00`` is tomorrow's). Ward day, ward timezone.
- a day word before a clock (``今天``/``明天``/``后天``/``昨天``/``前天``, ``today``/
  ``tomorrow``/``yesterday``, ``今晚``/``明早``…) names that day.
- a date before a clock: ``11-24 09:00``, ``11月24日 9点``, ``11/24 9:00``, ``11.24 09:00``,
  ``2026-11-24 09:00``, ``2026年11月24日9点``. A date without a year is the nearest such
  date; a slash date is read either way round only where that is unambiguous (``3/4`` is
  refused: March or April?); ``11.24`` alone is a clock (11:24), a date only before a clock.
- from now: ``30分钟后``, ``半小时后``, ``2小时后``, ``1小时30分钟后``, ``3天后``, ``+2h``,
  ``in 30 min`` (an amount alone, ``30min``, is from now too), and back: ``30分钟前``,
  ``2小时前``, ``2 hours ago``.
- a day without a clock (``11-20``, ``昨天``) only where the command says a date is enough
  (a line's insertion): that day's 00:00.

24-hour unless a period word (上午/下午/晚上…) or am/pm says otherwise; ``24:00``, a bare
number (``8``: a drain's number, a dose) and ambiguous phrases (``晚上12点``) are refused
rather than guessed. Whether a time in the past or the future is acceptable is the caller's
decision. Returns aware UTC datetimes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from boards.text import clean_text, fold_traditional

__all__ = [
    "is_date_shaped",
    "normalise",
    "parse_clock",
    "parse_when",
    "resolve_local",
    "take_when",
    "zh_number",
]


def normalise(text: str) -> str:
    """Cleaned, NFKC-folded (full-width ``８：００`` is ``8:00``), lower case, Traditional
    characters folded to Simplified (``後天下午3點`` reads as ``后天下午3点``)."""
    return fold_traditional(clean_text(text).lower())


_ZH_DIGITS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "零": 0,
        "〇": 0,
        "一": 1,
        "二": 2,
        "两": 2,
        "三": 3,
        "四": 4,
        "五": 5,
        "六": 6,
        "七": 7,
        "八": 8,
        "九": 9,
    }
)
NUM: Final = r"[0-9零〇一二两三四五六七八九十]+"


def zh_number(text: str) -> int | None:
    """ASCII digits or a Chinese numeral below 100 (八, 十二, 二十三, 零五)."""
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    if "十" in text:
        tens_text, _, units_text = text.partition("十")
        if "十" in units_text or len(tens_text) > 1 or len(units_text) > 1:
            return None
        tens = _ZH_DIGITS.get(tens_text, -1) if tens_text else 1
        units = _ZH_DIGITS.get(units_text, -1) if units_text else 0
        return None if tens < 0 or units < 0 else tens * 10 + units
    if len(text) == 2 and text[0] in "零〇":
        return zh_number(text[1:])  # 8点零5分
    return _ZH_DIGITS.get(text) if len(text) == 1 else None


def resolve_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of ward wall time ``clock`` on local date ``day``.

    fold=0 does both DST decisions: in a fall-back overlap it picks the first (earlier)
    instant, so an ambiguous dose is given once; in a spring-forward gap zoneinfo applies
    the offset from before the transition, which moves the dose later by the length of the
    gap (02:30 -> 03:30 in New York): a dose is never dropped.
    """
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


# --- clock times ---------------------------------------------------------------------------


# Chinese periods of the day; each maps an hour written on a 12-hour clock to 24 hours,
# or to None when the phrase is ambiguous (晚上12点: tonight or last night?).
def _am(hour: int) -> int | None:
    return hour if hour <= 11 else None


def _small_hours(hour: int) -> int | None:
    return 0 if hour == 12 else _am(hour)


def _noon(hour: int) -> int | None:
    if 1 <= hour <= 2:
        return hour + 12  # 中午1点 is 13:00
    return hour if hour >= 11 else None


def _afternoon(hour: int) -> int | None:
    return hour + 12 if 1 <= hour <= 11 else hour if hour >= 12 else None


def _evening(hour: int) -> int | None:
    return hour + 12 if 6 <= hour <= 11 else hour if hour >= 13 else None


_PERIODS: Final[Mapping[str, Callable[[int], int | None]]] = MappingProxyType(
    {
        "凌晨": _small_hours,
        "早上": _am,
        "早晨": _am,
        "上午": _am,
        "早": _am,
        "中午": _noon,
        "下午": _afternoon,
        "傍晚": _afternoon,
        "晚上": _evening,
        "夜里": _evening,
        "夜间": _evening,
        "晚": _evening,
    }
)
_PERIOD_RE: Final = "|".join(sorted(_PERIODS, key=len, reverse=True))
_ZH_CLOCK_RE: Final = re.compile(
    rf"(?P<period>{_PERIOD_RE})?(?P<hour>{NUM})(?:点钟|点|时)"
    rf"(?:整|(?P<extra>半|一刻|三刻|{NUM}分?))?"
)
_DIGIT_CLOCK_RE: Final = re.compile(
    rf"(?P<period>{_PERIOD_RE})?(?:(?P<hour>[0-9]{{1,2}})[:.](?P<minute>[0-9]{{2}})"
    r"|(?P<hhmm>[0-9]{3,4}))"
)
_AMPM_RE: Final = re.compile(r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2}))?(?P<ampm>am|pm)")
_ZH_MINUTES: Final[Mapping[str, int]] = MappingProxyType({"半": 30, "一刻": 15, "三刻": 45})


def _clock(hour: int | None, minute: int | None) -> time | None:
    if hour is None or minute is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _parse_ampm(text: str) -> time | None:
    match = _AMPM_RE.fullmatch(text.replace(".", ""))
    if match is None or not 1 <= (hour := int(match.group("hour"))) <= 12:
        return None
    hour = hour % 12 + (12 if match.group("ampm") == "pm" else 0)
    return _clock(hour, int(match.group("minute") or 0))


def _clock_compact(text: str) -> time | None:
    """A clock in normalised text with no spaces."""
    if text.endswith(("am", "pm", "a.m.", "p.m.")):
        return _parse_ampm(text)
    hour: int | None
    minute: int | None
    if digits := _DIGIT_CLOCK_RE.fullmatch(text):
        hhmm = digits.group("hhmm") or (digits.group("hour") + digits.group("minute"))
        hour, minute = int(hhmm[:-2]), int(hhmm[-2:])
        period = digits.group("period")
    elif zh := _ZH_CLOCK_RE.fullmatch(text):
        hour = zh_number(zh.group("hour"))
        extra = zh.group("extra") or ""
        minute = _ZH_MINUTES.get(extra, zh_number(extra.removesuffix("分")) if extra else 0)
        period = zh.group("period")
    else:
        return None
    if period and hour is not None:
        hour = _PERIODS[period](hour)
    return _clock(hour, minute)


def parse_clock(text: str) -> time | None:
    """A wall-clock time alone: ``8:00``, ``0800``, ``8点半``, ``下午3点``, ``8pm``, ``8.30``."""
    return _clock_compact(re.sub(r"\s+", "", normalise(text)))


# --- days ----------------------------------------------------------------------------------

_DAY_WORDS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "today": 0,
        "今天": 0,
        "今日": 0,
        "tomorrow": 1,
        "tmr": 1,
        "tmrw": 1,
        "明天": 1,
        "明日": 1,
        "后天": 2,
        "后日": 2,
        "yesterday": -1,
        "昨天": -1,
        "昨日": -1,
        "前天": -2,
        "前日": -2,
    }
)
# A day and a period in one word: 今晚8点 is 今天晚上8点.
_DAY_PERIODS: Final[Mapping[str, tuple[int, str]]] = MappingProxyType(
    {
        "今早": (0, "早上"),
        "今晚": (0, "晚上"),
        "明早": (1, "早上"),
        "明晚": (1, "晚上"),
        "昨晚": (-1, "晚上"),
    }
)
_DAY_RE: Final = re.compile("|".join(sorted([*_DAY_WORDS, *_DAY_PERIODS], key=len, reverse=True)))
_FULL_DATE_RE: Final = re.compile(
    r"(?P<year>[0-9]{4})(?:[-/.](?P<m1>[0-9]{1,2})[-/.](?P<d1>[0-9]{1,2})"
    r"|年(?P<m2>[0-9]{1,2})月(?P<d2>[0-9]{1,2})[日号]?)"
)
_SHORT_DATE_RE: Final = re.compile(
    r"(?:(?P<m1>[0-9]{1,2})-(?P<d1>[0-9]{1,2})|(?P<m2>[0-9]{1,2})月(?P<d2>[0-9]{1,2})[日号]?)"
)
_YEARS: Final = range(1900, 2101)  # a typed year outside is a typo, not a date
_SLASH_DATE_RE: Final = re.compile(r"(?P<a>[0-9]{1,2})/(?P<b>[0-9]{1,2})")
_DOT_DATE_RE: Final = re.compile(r"(?P<m1>[0-9]{1,2})\.(?P<d1>[0-9]{1,2})(?= )")
DATE_SHAPED: Final = re.compile(
    r"(?:[0-9]{4}[-/.年])?[0-9]{1,2}[-/月][0-9]{1,2}[日号]?", re.IGNORECASE
)


def _month_day(match: re.Match[str]) -> tuple[int, int]:
    month = match.group("m1") or match.group("m2")
    day = match.group("d1") or match.group("d2")
    return int(month), int(day)


def _slash_month_day(match: re.Match[str]) -> tuple[int, int] | None:
    # Mainland China and Taiwan write month first, Hong Kong and Singapore day first: a
    # slash date is read only where both orders agree or only one is a date.
    a, b = int(match.group("a")), int(match.group("b"))
    readings = {(m, d) for m, d in ((a, b), (b, a)) if 1 <= m <= 12 and 1 <= d <= 31}
    return readings.pop() if len(readings) == 1 else None


def _nearest_date(month: int, day: int, today: date) -> date | None:
    # A date typed without a year means the nearest one: on 30 Dec "01-02" is next week,
    # on 25 Nov "11-24" is yesterday (and the caller says "in the past").
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda d: (abs((d - today).days), -d.toordinal()))


def _leading_day(text: str, today: date) -> tuple[date | None, str, str | None] | None:
    """The day the text starts with: (that day or None if no such date, the rest, a period
    word the day word carried); None when the text does not start with a day."""
    if match := _DAY_RE.match(text):
        word = match.group()
        offset, period = _DAY_PERIODS.get(word, (_DAY_WORDS.get(word, 0), None))
        return today + timedelta(days=offset), text[match.end() :], period
    if match := _FULL_DATE_RE.match(text):
        try:
            year = int(match.group("year"))
            if year not in _YEARS:
                raise ValueError(year)
            return date(year, *_month_day(match)), text[match.end() :], None
        except ValueError:
            return None, "", None
    if match := _SHORT_DATE_RE.match(text):
        return _nearest_date(*_month_day(match), today), text[match.end() :], None
    if match := _SLASH_DATE_RE.match(text):
        month_day = _slash_month_day(match)
        found = _nearest_date(*month_day, today) if month_day else None
        return found, text[match.end() :], None
    if match := _DOT_DATE_RE.match(text):
        return _nearest_date(*_month_day(match), today), text[match.end() :], None
    return None


# --- from now ------------------------------------------------------------------------------

_UNIT_MINUTES: Final[Mapping[str, int]] = MappingProxyType(
    {
        "分钟": 1,
        "分": 1,
        "min": 1,
        "mins": 1,
        "minute": 1,
        "minutes": 1,
        "m": 1,
        "小时": 60,
        "个小时": 60,
        "钟头": 60,
        "个钟头": 60,
        "h": 60,
        "hr": 60,
        "hrs": 60,
        "hour": 60,
        "hours": 60,
        "天": 24 * 60,
        "日": 24 * 60,
        "d": 24 * 60,
        "day": 24 * 60,
        "days": 24 * 60,
    }
)
_UNIT_RE: Final = "|".join(sorted(map(re.escape, _UNIT_MINUTES), key=len, reverse=True))
# One amount: 30分钟, 2小时, 两个小时, 半小时, 1个半小时, 1.5h, 3天.
_AMOUNT_RE: Final = re.compile(
    rf"(?:(?P<n>{NUM}|[0-9]+\.[0-9])(?P<half>个半)?|(?P<only_half>半))(?P<unit>{_UNIT_RE})"
)
_AHEAD: Final = ("以后", "之后", "后", "later")
_BACK: Final = ("以前", "之前", "前", "ago")
_MOST: Final = timedelta(days=60)


def _amounts(body: str) -> timedelta | None:
    total, position = timedelta(0), 0
    for amount in _AMOUNT_RE.finditer(body):
        if amount.start() != position:
            return None
        unit = timedelta(minutes=_UNIT_MINUTES[amount.group("unit")])
        if amount.group("only_half") or amount.group("half"):
            if unit < timedelta(hours=1):
                return None  # 半分钟 is no time to remind anyone of anything
            total += unit / 2
        if n_text := amount.group("n"):
            n = float(n_text) if "." in n_text else zh_number(n_text)
            if n is None:
                return None
            total += unit * n
        position = amount.end()
    if position == 0 or position != len(body):
        return None
    return total


def _offset(text: str) -> timedelta | None:
    """``30分钟后`` → +30 min; ``2小时前`` → -2 h; ``1小时30分钟后``; ``in 30 min``; ``+2h``."""
    ahead = text.startswith(("in", "+"))
    body = text.removeprefix("in").removeprefix("+")
    direction = next((w for w in (*_AHEAD, *_BACK) if body.endswith(w)), None)
    if direction is not None:
        body = body[: -len(direction)]
    if ahead and direction in _BACK:
        return None
    total = _amounts(body)
    if total is None or not timedelta(minutes=1) <= total <= _MOST:
        return None
    return -total if direction in _BACK else total


# --- the whole --------------------------------------------------------------------------------


def parse_when(
    text: str, *, now: datetime, tz: ZoneInfo, day_alone: bool = False
) -> datetime | None:
    """Read a date and time typed by a nurse (the module's grammar); aware UTC, or None.

    With ``day_alone`` a day without a clock (``11-20``, ``昨天``) is that day's 00:00.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be aware")
    spaced = re.sub(r"\s+", " ", normalise(text)).strip()
    compact = spaced.replace(" ", "")
    if not compact:
        return None
    try:
        if (offset := _offset(compact)) is not None:
            return (now + offset).astimezone(UTC)
        today = now.astimezone(tz).date()
        leading = _leading_day(spaced, today)
        if leading is None:
            clock = _clock_compact(compact)
            return None if clock is None else resolve_local(today, clock, tz)
        day, rest, period = leading
        if day is None:
            return None
        # Between the date and the clock: nothing, spaces, ISO's "T" or a comma.
        rest = re.sub(r"^(?:\s|,|t(?=[0-9]))+", "", rest).replace(" ", "")
        if not rest:
            return resolve_local(day, time(0, 0), tz) if day_alone and period is None else None
        if period is not None and not rest.startswith(tuple(_PERIODS)):
            rest = period + rest
        clock = _clock_compact(rest)
        return None if clock is None else resolve_local(day, clock, tz)
    except OverflowError:
        # A date at the edge of the calendar (0001-01-01 in an eastern zone) has no UTC.
        return None


def take_when(
    words: Sequence[str],
    *,
    now: datetime,
    tz: ZoneInfo,
    day_alone: bool = False,
    most: int = 3,
) -> tuple[datetime, int] | None:
    """The time the words start with, and how many words it takes (the longest reading of
    up to ``most`` words: ``明天 下午 3点`` is three); None when they do not start with one."""
    for n in range(min(most, len(words)), 0, -1):
        # Every word of a run must count: "9:00 -" is a time and a placeholder.
        if n > 1 and not all(any(c.isalnum() for c in w) for w in words[:n]):
            continue
        found = parse_when(" ".join(words[:n]), now=now, tz=tz, day_alone=day_alone)
        if found is not None:
            return found, n
    return None


def is_date_shaped(word: str) -> bool:
    """Whether a word looks like a date (``11-31``) even when it names none."""
    return DATE_SHAPED.fullmatch(normalise(word)) is not None
