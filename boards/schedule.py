"""Schedule arithmetic for medication and line-care reminders: ward policy and occurrences."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal, get_args
from zoneinfo import ZoneInfo

from boards.errors import BadInput
from boards.lines import LINE_CODES
from boards.text import clean_text

__all__ = [
    "DEFAULT_ESCALATION_MINUTES",
    "DEFAULT_LEAD_MINUTES",
    "DEFAULT_SLOT_MINUTES",
    "DEFAULT_TIMEZONE",
    "POLICY_VERSION",
    "Anchor",
    "CareRule",
    "Frequency",
    "LineCarePolicy",
    "MedicationPolicy",
    "PolicyError",
    "Route",
    "ScheduleError",
    "Shift",
    "ShiftPolicy",
    "TimeTable",
    "WardPolicy",
    "clock_times_required",
    "default_line_care_policy",
    "default_medication_policy",
    "default_shift_policy",
    "default_ward_policy",
    "is_external",
    "is_iv",
    "line_care_occurrences",
    "medication_occurrences",
    "parse_clock",
    "parse_frequency",
    "parse_route",
    "parse_when",
    "slot_of",
]

DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
# 0: the reminder goes out at the due minute. Nurses prepare from the board anyway, and an
# early ping invites giving the dose early; a ward that wants a head start sets its own lead.
DEFAULT_LEAD_MINUTES: Final = 0
DEFAULT_ESCALATION_MINUTES: Final = 30
DEFAULT_SLOT_MINUTES: Final = 5
POLICY_VERSION: Final = 1

_MINUTES_PER_DAY: Final = 24 * 60
_ONE_DAY: Final = timedelta(days=1)


# --------------------------------------------------------------------------- errors


class ScheduleError(ValueError):
    """A schedule request that cannot be met; ``key`` names the catalogue message."""

    def __init__(self, key: str, **params: str | int) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, str | int] = dict(params)

    def __repr__(self) -> str:
        # As boards.errors.WardError: parameters stay out of reprs and logs.
        return f"{type(self).__name__}({self.key!r})"


class PolicyError(ScheduleError, BadInput):
    """A ward policy that is malformed or inconsistent; nothing was changed.

    Also a BadInput: a head nurse's policy that does not hold together is refused with
    its catalogue key like any other bad input, wherever it is built.
    """


# --------------------------------------------------------------------------- codes


class Frequency(enum.StrEnum):
    """Order frequency codes as written on Chinese-ward medication orders."""

    ST = "st"
    QD = "qd"
    BID = "bid"
    TID = "tid"
    QID = "qid"
    Q4H = "q4h"
    Q6H = "q6h"
    Q8H = "q8h"
    Q12H = "q12h"
    QN = "qn"
    HS = "hs"
    QOD = "qod"
    PRN = "prn"


# How many clock times a ward table must hold for each frequency; st and prn take none
# (st happens at the order's start, prn only when asked for).
_CLOCK_COUNTS: Final[Mapping[Frequency, int]] = MappingProxyType(
    {
        Frequency.QD: 1,
        Frequency.BID: 2,
        Frequency.TID: 3,
        Frequency.QID: 4,
        Frequency.Q4H: 6,
        Frequency.Q6H: 4,
        Frequency.Q8H: 3,
        Frequency.Q12H: 2,
        Frequency.QN: 1,
        Frequency.HS: 1,
        Frequency.QOD: 1,
    }
)


def clock_times_required(freq: Frequency) -> int:
    """The number of clock times a policy holds for ``freq`` (0 for st and prn)."""
    return _CLOCK_COUNTS.get(freq, 0)


class Route(enum.StrEnum):
    """Administration routes (GLOSSARY "route")."""

    PO = "po"  # 口服
    IVGTT = "ivgtt"  # 静脉滴注
    IV = "iv"  # 静脉注射
    IM = "im"  # 肌肉注射
    SC = "sc"  # 皮下注射 (ih)
    TOPICAL = "topical"  # 外用
    INHALED = "inhaled"  # 雾化吸入


def is_external(route: Route) -> bool:
    """True for external-use (外用) medication, which is labelled apart from IV medication."""
    return route is Route.TOPICAL


def is_iv(route: Route) -> bool:
    """True for intravenous routes (drip and push)."""
    return route in (Route.IVGTT, Route.IV)


# --------------------------------------------------------------------------- text parsing


def _normalise(text: str) -> str:
    # Cleaned (boards.text): NFKC folds full-width digits, letters and the full-width colon
    # that Chinese input methods produce (８：００) into ASCII, and invisible characters go.
    # Traditional characters are folded to Simplified for the handful of words we recognise.
    folded = clean_text(text).lower()
    return folded.translate(_TRAD_TO_SIMP)


_TRAD_TO_SIMP: Final = str.maketrans(
    {
        "時": "时",
        "點": "点",
        "兩": "两",
        "靜": "静",
        "脈": "脉",
        "霧": "雾",
        "內": "内",
        "執": "执",
        "藥": "药",
        "後": "后",
        "號": "号",
        "鐘": "钟",
        "個": "个",
        "須": "需",
        "臨": "临",
        "塗": "涂",
        "輸": "输",
        "註": "注",
        "間": "间",
        "裡": "里",
        "裏": "里",
    }
)

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
_NUM: Final = r"[0-9零〇一二两三四五六七八九十]+"


def _number(text: str) -> int | None:
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
        return _number(text[1:])  # 8点零5分
    return _ZH_DIGITS.get(text) if len(text) == 1 else None


def _compact(text: str) -> str:
    # Codes are typed with dots and spaces in every combination: "q.d.", "Q 8 H", "i.v. gtt".
    return re.sub(r"[\s.\-_/]+", "", _normalise(text))


_FREQUENCY_WORDS: Final[Mapping[str, Frequency]] = MappingProxyType(
    {
        # English and Latin abbreviations in common use
        "stat": Frequency.ST,
        "once": Frequency.ST,
        "now": Frequency.ST,
        "immediately": Frequency.ST,
        "od": Frequency.QD,
        "daily": Frequency.QD,
        "oncedaily": Frequency.QD,
        "onceaday": Frequency.QD,
        "q24h": Frequency.QD,
        "bd": Frequency.BID,
        "twicedaily": Frequency.BID,
        "twiceaday": Frequency.BID,
        "tds": Frequency.TID,
        "threetimesdaily": Frequency.TID,
        "threetimesaday": Frequency.TID,
        "qds": Frequency.QID,
        "fourtimesdaily": Frequency.QID,
        "fourtimesaday": Frequency.QID,
        "nocte": Frequency.QN,
        "nightly": Frequency.QN,
        "atnight": Frequency.QN,
        "bedtime": Frequency.HS,
        "atbedtime": Frequency.HS,
        "everyotherday": Frequency.QOD,
        "alternatedays": Frequency.QOD,
        "q48h": Frequency.QOD,
        "asneeded": Frequency.PRN,
        "whenneeded": Frequency.PRN,
        # Chinese
        "立即": Frequency.ST,
        "立即执行": Frequency.ST,
        "立刻": Frequency.ST,
        "即刻": Frequency.ST,
        "马上": Frequency.ST,
        "每晚": Frequency.QN,
        "每夜": Frequency.QN,
        "睡前": Frequency.HS,
        "临睡前": Frequency.HS,
        "隔日": Frequency.QOD,
        "隔天": Frequency.QOD,
        "每两日": Frequency.QOD,
        "每两天": Frequency.QOD,
        "每2日": Frequency.QOD,
        "每2天": Frequency.QOD,
        "必要时": Frequency.PRN,
        "需要时": Frequency.PRN,
    }
)
_PER_DAY: Final[Mapping[int, Frequency]] = MappingProxyType(
    {1: Frequency.QD, 2: Frequency.BID, 3: Frequency.TID, 4: Frequency.QID}
)
_EVERY_HOURS: Final[Mapping[int, Frequency]] = MappingProxyType(
    {
        4: Frequency.Q4H,
        6: Frequency.Q6H,
        8: Frequency.Q8H,
        12: Frequency.Q12H,
        24: Frequency.QD,
        48: Frequency.QOD,
    }
)


def parse_frequency(text: str) -> Frequency | None:
    """Read a frequency as nurses type it: ``QD``, ``q.d.``, ``Bid``, ``q8h``, ``每8小时``."""
    compact = _compact(text)
    if not compact:
        return None
    try:
        return Frequency(compact)
    except ValueError:
        pass
    # "一次"/"1次" after an already complete phrase adds nothing: 每晚一次, 隔日一次.
    for word in (compact, re.sub(r"(一次|1次)$", "", compact)):
        if word in _FREQUENCY_WORDS:
            return _FREQUENCY_WORDS[word]
    per_day = re.fullmatch(rf"(?:每|一|1)(?:日|天)({_NUM})次", compact)
    if per_day:
        count = _number(per_day.group(1))
        return _PER_DAY.get(count) if count is not None else None
    every = re.fullmatch(
        rf"(?:每隔|每)({_NUM})(?:个)?(?:小时|h|hr|hrs|hours?)(?:一次|1次)?", compact
    ) or re.fullmatch(r"(?:every|q)([0-9]+)(?:h|hr|hrs|hours?)", compact)
    if every:
        hours = _number(every.group(1))
        return _EVERY_HOURS.get(hours) if hours is not None else None
    return None


_ROUTE_WORDS: Final[Mapping[str, Route]] = MappingProxyType(
    {
        "oral": Route.PO,
        "bymouth": Route.PO,
        "口服": Route.PO,
        "ivdrip": Route.IVGTT,
        "ivinfusion": Route.IVGTT,
        "drip": Route.IVGTT,
        "静脉滴注": Route.IVGTT,
        "静滴": Route.IVGTT,
        "静脉输液": Route.IVGTT,
        "输液": Route.IVGTT,
        "点滴": Route.IVGTT,
        "ivp": Route.IV,
        "ivpush": Route.IV,
        "ivbolus": Route.IV,
        "静脉注射": Route.IV,
        "静脉推注": Route.IV,
        "静推": Route.IV,
        "静注": Route.IV,
        "intramuscular": Route.IM,
        "肌肉注射": Route.IM,
        "肌内注射": Route.IM,
        "肌注": Route.IM,
        "ih": Route.SC,
        "sq": Route.SC,
        "subcut": Route.SC,
        "subcutaneous": Route.SC,
        "皮下注射": Route.SC,
        "皮下": Route.SC,
        "external": Route.TOPICAL,
        "ext": Route.TOPICAL,
        "外用": Route.TOPICAL,
        "外敷": Route.TOPICAL,
        "外涂": Route.TOPICAL,
        "局部外用": Route.TOPICAL,
        "inh": Route.INHALED,
        "inhalation": Route.INHALED,
        "neb": Route.INHALED,
        "nebulised": Route.INHALED,
        "nebulized": Route.INHALED,
        "雾化吸入": Route.INHALED,
        "雾化": Route.INHALED,
        "吸入": Route.INHALED,
    }
)


def parse_route(text: str) -> Route | None:
    """Read a route code or its Chinese name: ``po``, ``i.v. gtt``, ``ih``, ``静滴``, ``外用``."""
    compact = _compact(text)
    try:
        return Route(compact)
    except ValueError:
        return _ROUTE_WORDS.get(compact)


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


_PERIODS: Final = {
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
_PERIOD_RE: Final = "|".join(sorted(_PERIODS, key=len, reverse=True))
_ZH_CLOCK_RE: Final = re.compile(
    rf"(?P<period>{_PERIOD_RE})?(?P<hour>{_NUM})(?:点钟|点|时)"
    rf"(?:整|(?P<extra>半|一刻|三刻|{_NUM}分?))?"
)
_DIGIT_CLOCK_RE: Final = re.compile(
    rf"(?P<period>{_PERIOD_RE})?(?:(?P<hour>[0-9]{{1,2}})[:.](?P<minute>[0-9]{{2}})"
    r"|(?P<hhmm>[0-9]{3,4}))"
)
_AMPM_RE: Final = re.compile(r"(?P<hour>[0-9]{1,2})(?::(?P<minute>[0-9]{2}))?(?P<ampm>am|pm)")


def _clock(hour: int | None, minute: int | None) -> time | None:
    if hour is None or minute is None or not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


_ZH_MINUTES: Final[Mapping[str, int]] = MappingProxyType({"半": 30, "一刻": 15, "三刻": 45})


def _parse_ampm(text: str) -> time | None:
    match = _AMPM_RE.fullmatch(text.replace(".", ""))
    if match is None or not 1 <= (hour := int(match.group("hour"))) <= 12:
        return None
    hour = hour % 12 + (12 if match.group("ampm") == "pm" else 0)
    return _clock(hour, int(match.group("minute") or 0))


def _parse_clock_compact(text: str) -> time | None:
    if text.endswith(("am", "pm", "a.m.", "p.m.")):
        return _parse_ampm(text)
    hour: int | None
    minute: int | None
    if digits := _DIGIT_CLOCK_RE.fullmatch(text):
        hhmm = digits.group("hhmm") or (digits.group("hour") + digits.group("minute"))
        hour, minute = int(hhmm[:-2]), int(hhmm[-2:])
        period = digits.group("period")
    elif zh := _ZH_CLOCK_RE.fullmatch(text):
        hour = _number(zh.group("hour"))
        extra = zh.group("extra") or ""
        minute = _ZH_MINUTES.get(extra, _number(extra.removesuffix("分")) if extra else 0)
        period = zh.group("period")
    else:
        return None
    if period and hour is not None:
        hour = _PERIODS[period](hour)
    return _clock(hour, minute)


def parse_clock(text: str) -> time | None:
    """Read a clock time as nurses type it: ``8:00``, ``0800``, ``8点半``, ``下午3点``, ``8pm``.

    24-hour unless a period word (上午/下午/晚上…) or am/pm says otherwise; ``24:00`` and
    ambiguous phrases (``晚上12点``) are refused rather than guessed.
    """
    return _parse_clock_compact(re.sub(r"\s+", "", _normalise(text)))


_RELATIVE_DAYS: Final[Mapping[str, int]] = MappingProxyType(
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
    }
)
_RELATIVE_RE: Final = re.compile("|".join(sorted(_RELATIVE_DAYS, key=len, reverse=True)))
# Only unambiguous date forms: a year first, or month and day with "-" or 月/日. "24/11"
# versus "11/24" depends on the region (Hong Kong and Singapore write day first), so a
# slash is only accepted after a four-digit year.
_FULL_DATE_RE: Final = re.compile(
    r"(?P<year>[0-9]{4})(?:[-/.](?P<m1>[0-9]{1,2})[-/.](?P<d1>[0-9]{1,2})"
    r"|年(?P<m2>[0-9]{1,2})月(?P<d2>[0-9]{1,2})[日号]?)"
)
_SHORT_DATE_RE: Final = re.compile(
    r"(?:(?P<m1>[0-9]{1,2})-(?P<d1>[0-9]{1,2})|(?P<m2>[0-9]{1,2})月(?P<d2>[0-9]{1,2})[日号]?)"
)


def _month_day(match: re.Match[str]) -> tuple[int, int]:
    month = match.group("m1") or match.group("m2")
    day = match.group("d1") or match.group("d2")
    return int(month), int(day)


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


def parse_when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """Read a date and time typed by a nurse; return it as aware UTC, or None.

    Accepts a clock alone (today: ``14:30``), ``今天``/``明天``/``后天``/``today``/``tomorrow``
    before a clock (``明天9点``, ``tomorrow 09:00``), ``11-24 09:00``, ``11月24日 9:00`` (the
    nearest such date) and ``2026-11-24 09:00``. A time already past is returned as it is:
    whether that is an error ("reminder in the past") is the caller's decision.
    """
    _require_aware(now=now)
    compact = re.sub(r"\s+", " ", _normalise(text))
    today = now.astimezone(tz).date()
    day: date | None = today
    rest = compact
    if match := _RELATIVE_RE.match(compact):
        day = today + timedelta(days=_RELATIVE_DAYS[match.group()])
        rest = compact[match.end() :]
    elif match := _FULL_DATE_RE.match(compact):
        try:
            day = date(int(match.group("year")), *_month_day(match))
        except ValueError:
            return None
        rest = compact[match.end() :]
    elif (match := _SHORT_DATE_RE.match(compact)) and match.end() < len(compact):
        day = _nearest_date(*_month_day(match), today)
        rest = compact[match.end() :]
    if day is None:
        return None
    if rest != compact:
        # Between the date and the clock: nothing, spaces, ISO's "T" or a comma.
        rest = re.sub(r"^(?:\s|,|t(?=[0-9]))+", "", rest)
    clock = _parse_clock_compact(rest.replace(" ", ""))
    if clock is None:
        return None
    try:
        return _resolve_local(day, clock, tz)
    except OverflowError:
        # A date at the edge of the calendar (0001-01-01 in an eastern zone) has no UTC.
        return None


# --------------------------------------------------------------------------- policies


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


TimeTable = Mapping[Frequency, tuple[time, ...]]


def _checked_table(table: Mapping[Frequency, Iterable[time]], *, route: str) -> TimeTable:
    checked: dict[Frequency, tuple[time, ...]] = {}
    for key, values in table.items():
        freq = _frequency_key(key)
        where: dict[str, str | int] = {"freq": freq.value, "route": route}
        if freq not in _CLOCK_COUNTS:
            raise PolicyError("schedule.policy.unscheduled_frequency", **where)
        if isinstance(values, str | time):  # a lone "08:00" is not a list of times
            raise PolicyError("schedule.policy.malformed", path=f"{route or 'times'}.{freq}")
        times = [_check_clock(value, **where) for value in values]
        if not times:
            raise PolicyError("schedule.policy.empty_times", **where)
        seen: set[time] = set()
        for value in times:
            if value in seen:
                raise PolicyError(
                    "schedule.policy.duplicate_time", time=_time_to_json(value), **where
                )
            seen.add(value)
        if len(times) != _CLOCK_COUNTS[freq]:
            raise PolicyError(
                "schedule.policy.wrong_count",
                expected=_CLOCK_COUNTS[freq],
                got=len(times),
                **where,
            )
        checked[freq] = tuple(sorted(times))
    # Canonical order (enum order) so that equal policies hash alike and serialise alike.
    return MappingProxyType({f: checked[f] for f in Frequency if f in checked})


@dataclass(frozen=True, slots=True, kw_only=True)
class MedicationPolicy:
    """Clock times per frequency, with per-route tables overriding single frequencies.

    ``times`` must cover every scheduled frequency (all but st and prn); ``route_times`` may
    cover any subset. Times are ward-local wall-clock times, held sorted.
    """

    times: TimeTable
    route_times: Mapping[Route, TimeTable] = field(default_factory=dict)

    def __post_init__(self) -> None:
        times = _checked_table(self.times, route="")
        for freq in _CLOCK_COUNTS:
            if freq not in times:
                raise PolicyError("schedule.policy.missing_frequency", freq=freq.value)
        routes: dict[Route, TimeTable] = {}
        for key, table in self.route_times.items():
            route = _route_key(key)
            routes[route] = _checked_table(table, route=route.value)
        object.__setattr__(self, "times", times)
        object.__setattr__(
            self,
            "route_times",
            MappingProxyType({r: routes[r] for r in Route if routes.get(r)}),
        )

    def __hash__(self) -> int:
        return hash(
            (
                tuple(self.times.items()),
                tuple((r, tuple(t.items())) for r, t in self.route_times.items()),
            )
        )

    def times_for(self, freq: Frequency, route: Route | None = None) -> tuple[time, ...]:
        """The clock times for ``freq`` given by ``route``'s table, else the default table."""
        if freq not in _CLOCK_COUNTS:
            return ()
        if route is not None and freq in (override := self.route_times.get(route, {})):
            return override[freq]
        return self.times[freq]

    def with_times(
        self, freq: Frequency, times: Iterable[time], *, route: Route | None = None
    ) -> MedicationPolicy:
        """A copy with ``freq``'s times replaced (in ``route``'s table when given)."""
        if route is None:
            return MedicationPolicy(
                times={**self.times, freq: tuple(times)}, route_times=self.route_times
            )
        table = {**self.route_times.get(route, {}), freq: tuple(times)}
        return MedicationPolicy(times=self.times, route_times={**self.route_times, route: table})

    def to_dict(self) -> dict[str, Any]:
        return {
            "times": _table_to_json(self.times),
            "route_times": {r.value: _table_to_json(t) for r, t in self.route_times.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> MedicationPolicy:
        """Load a stored policy; frequencies missing from ``times`` keep their defaults."""
        default = default_medication_policy()
        times = {**default.times, **_table_from_json(data.get("times", {}), "medication.times")}
        raw_routes = data.get("route_times")
        if raw_routes is None:
            return cls(times=times, route_times=default.route_times)
        routes = {
            _route_key(route): _table_from_json(table, f"medication.route_times.{route}")
            for route, table in _mapping(raw_routes, "medication.route_times").items()
        }
        return cls(times=times, route_times=routes)


def _table_to_json(table: TimeTable) -> dict[str, list[str]]:
    return {f.value: [_time_to_json(t) for t in times] for f, times in table.items()}


def _table_from_json(raw: object, path: str) -> dict[Frequency, tuple[time, ...]]:
    table: dict[Frequency, tuple[time, ...]] = {}
    for key, values in _mapping(raw, path).items():
        freq = _frequency_key(key)
        items = _sequence(values, f"{path}.{key}")
        table[freq] = tuple(_time_from_json(v, freq=freq.value, path=path) for v in items)
    return table


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


def default_medication_policy() -> MedicationPolicy:
    """Commonly published Chinese-ward clock times.

    Injections and drips (iv, ivgtt, im, sc) follow the morning rounds: qd 09:00, bid
    09:00/15:00; their other frequencies use the default table.
    """
    t = time
    after_rounds: dict[Frequency, tuple[time, ...]] = {
        Frequency.QD: (t(9),),
        Frequency.BID: (t(9), t(15)),
    }
    return MedicationPolicy(
        times={
            Frequency.QD: (t(8),),
            Frequency.BID: (t(8), t(16)),
            Frequency.TID: (t(8), t(12), t(16)),
            Frequency.QID: (t(8), t(12), t(16), t(20)),
            Frequency.Q4H: (t(8), t(12), t(16), t(20), t(0), t(4)),
            Frequency.Q6H: (t(8), t(14), t(20), t(2)),
            Frequency.Q8H: (t(8), t(16), t(0)),
            Frequency.Q12H: (t(8), t(20)),
            Frequency.QN: (t(20),),
            Frequency.HS: (t(21),),
            Frequency.QOD: (t(8),),
        },
        route_times={
            Route.IVGTT: after_rounds,
            Route.IV: after_rounds,
            Route.IM: after_rounds,
            Route.SC: after_rounds,
        },
    )


Anchor = Literal["insertion", "clock"]
_ANCHORS: Final = frozenset(get_args(Anchor))
_RULE_CODE_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CareRule:
    """One recurring care task for a line type.

    ``anchor="insertion"``: due at insertion + k * interval (k >= 1), in elapsed time, so a
    96 h cannula is replaced 96 real hours after insertion whatever the clocks do.
    ``anchor="clock"``: due at the ward-local clock time ``at`` on the local dates k *
    interval (k >= 1) ward days after the insertion date, counted as qod counts them (a date
    the zone skips is not a day); the interval must then be a whole number of days.
    """

    code: str
    name_zh: str
    name_en: str
    interval: timedelta
    anchor: Anchor
    at: time | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _RULE_CODE_RE.fullmatch(self.code):
            raise PolicyError("schedule.policy.bad_rule_code", rule=str(self.code))
        where: dict[str, str | int] = {"rule": self.code}
        if not (isinstance(self.name_zh, str) and self.name_zh.strip()) or not (
            isinstance(self.name_en, str) and self.name_en.strip()
        ):
            raise PolicyError("schedule.policy.missing_name", **where)
        if (
            not isinstance(self.interval, timedelta)
            or self.interval <= timedelta(0)
            or self.interval % timedelta(minutes=1)
        ):
            raise PolicyError("schedule.policy.bad_interval", **where)
        if self.anchor not in _ANCHORS:
            raise PolicyError("schedule.policy.bad_anchor", anchor=str(self.anchor), **where)
        if self.anchor == "clock":
            if self.at is None:
                raise PolicyError("schedule.policy.clock_needs_time", **where)
            _check_clock(self.at, **where)
            if self.interval % _ONE_DAY:
                raise PolicyError("schedule.policy.clock_needs_days", **where)
        elif self.at is not None:
            raise PolicyError("schedule.policy.insertion_takes_no_time", **where)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "interval_minutes": self.interval // timedelta(minutes=1),
            "anchor": self.anchor,
            "at": None if self.at is None else _time_to_json(self.at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object], path: str = "rule") -> CareRule:
        anchor = _str(data.get("anchor"), f"{path}.anchor")
        if anchor not in _ANCHORS:
            raise PolicyError("schedule.policy.bad_anchor", anchor=anchor, rule=path)
        raw_at = data.get("at")
        return cls(
            code=_str(data.get("code"), f"{path}.code"),
            name_zh=_str(data.get("name_zh"), f"{path}.name_zh"),
            name_en=_str(data.get("name_en"), f"{path}.name_en"),
            interval=timedelta(minutes=_int(data.get("interval_minutes"), f"{path}.interval")),
            anchor="clock" if anchor == "clock" else "insertion",
            at=None if raw_at is None else _time_from_json(raw_at, rule=path),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LineCarePolicy:
    """Care rules per line code (boards.lines); a code without rules creates no care tasks."""

    rules: Mapping[str, tuple[CareRule, ...]]

    def __post_init__(self) -> None:
        checked: dict[str, tuple[CareRule, ...]] = {}
        for key, rules in self.rules.items():
            line = _line_key(key)
            rules = tuple(rules)
            codes: set[str] = set()
            for rule in rules:
                if not isinstance(rule, CareRule):
                    raise PolicyError("schedule.policy.malformed", path=f"line_care.{line}")
                if rule.code in codes:
                    raise PolicyError("schedule.policy.duplicate_rule", line=line, rule=rule.code)
                codes.add(rule.code)
            checked[line] = rules
        object.__setattr__(
            self, "rules", MappingProxyType({t: checked[t] for t in LINE_CODES if t in checked})
        )

    def __hash__(self) -> int:
        return hash(tuple(self.rules.items()))

    def rules_for(self, line_code: str) -> tuple[CareRule, ...]:
        return self.rules.get(_line_type(line_code), ())

    def to_dict(self) -> dict[str, Any]:
        return {t: [r.to_dict() for r in rules] for t, rules in self.rules.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LineCarePolicy:
        rules: dict[str, tuple[CareRule, ...]] = {}
        for key, raw_rules in data.items():
            path = f"line_care.{key}"
            rules[_line_key(key)] = tuple(
                CareRule.from_dict(_mapping(raw, f"{path}.{i}"), f"{path}.{i}")
                for i, raw in enumerate(_sequence(raw_rules, path))
            )
        return cls(rules=rules)


def default_line_care_policy() -> LineCarePolicy:
    """Common Chinese-ward line care; every interval is the ward's to change."""

    def daily(code: str, zh: str, en: str, at: time = time(10)) -> CareRule:
        # 10:00: after the 08:00-09:00 medication round, inside the day shift.
        return CareRule(
            code=code, name_zh=zh, name_en=en, interval=_ONE_DAY, anchor="clock", at=at
        )

    def every(code: str, zh: str, en: str, interval: timedelta) -> CareRule:
        return CareRule(code=code, name_zh=zh, name_en=en, interval=interval, anchor="insertion")

    week = timedelta(days=7)
    dressing = every("dressing", "更换透明敷料", "Change transparent dressing", week)
    # 07:00: 24-hour drainage totals close at the end of the night shift.
    output = daily("output_record", "记录引流量", "Record drainage output", time(7))
    return LineCarePolicy(
        rules={
            "piv": (
                daily("site_check", "穿刺部位评估", "Check insertion site"),
                every("replace", "更换留置针", "Replace cannula", timedelta(hours=96)),
            ),
            "picc": (
                dressing,
                every("flush_connector", "冲管及更换接头", "Flush and change connector", week),
            ),
            "cvc": (
                daily("necessity_review", "评估留置必要性", "Review need for line"),
                dressing,
                every("connector", "更换输液接头", "Change connector", week),
            ),
            # Implanted port between treatments: flush every 4 weeks (治疗间歇期每4周维护).
            "port": (every("flush", "冲管维护", "Flush and maintain", timedelta(days=28)),),
            "urinary": (daily("necessity_review", "评估留置必要性", "Review need for catheter"),),
            "ngt": (
                daily("position_check", "检查胃管位置及固定", "Check tube position and fixation"),
            ),
            "drain": (output,),
            "chest_drain": (output,),
            "ett": (
                daily("fixation_check", "检查插管深度及固定", "Check tube depth and fixation"),
            ),
            "trach": (daily("stoma_care", "气切口护理", "Stoma care and dressing"),),
        }
    )


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


_LEAD_RANGE: Final = (0, 240)
_ESCALATION_RANGE: Final = (1, _MINUTES_PER_DAY)


@dataclass(frozen=True, slots=True, kw_only=True)
class WardPolicy:
    """Everything a ward decides about its schedules, stored as one JSON document."""

    medication: MedicationPolicy = field(default_factory=default_medication_policy)
    line_care: LineCarePolicy = field(default_factory=default_line_care_policy)
    shifts: ShiftPolicy = field(default_factory=default_shift_policy)
    lead_minutes: int = DEFAULT_LEAD_MINUTES
    escalation_minutes: int = DEFAULT_ESCALATION_MINUTES
    # Free text (notes, operations, exams, procedures) on the group board, as on the
    # physical board at the station; off, the group sees that there is a note, not what.
    group_notes: bool = True

    def __post_init__(self) -> None:
        for name, (low, high) in (
            ("lead_minutes", _LEAD_RANGE),
            ("escalation_minutes", _ESCALATION_RANGE),
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise PolicyError(
                    "schedule.policy.bad_minutes", field=name, value=str(value), min=low, max=high
                )

    def remind_at(self, due: datetime) -> datetime:
        """When the reminder for an occurrence due at ``due`` goes out."""
        # In UTC: Python adds to an aware datetime on its own wall clock, which is wrong
        # across a DST change.
        return due.astimezone(UTC) - timedelta(minutes=self.lead_minutes)

    def overdue_at(self, due: datetime) -> datetime:
        """When an unacknowledged occurrence earns its one overdue notice."""
        return due.astimezone(UTC) + timedelta(minutes=self.escalation_minutes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe document (strings, ints, lists, dicts) that ``from_dict`` reads back."""
        return {
            "version": POLICY_VERSION,
            "medication": self.medication.to_dict(),
            "line_care": self.line_care.to_dict(),
            "shifts": self.shifts.to_list(),
            "lead_minutes": self.lead_minutes,
            "escalation_minutes": self.escalation_minutes,
            "group_notes": self.group_notes,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> WardPolicy:
        """Load a stored policy; a missing section takes its default (older documents)."""
        data = _mapping(data, "")
        version = data.get("version", POLICY_VERSION)
        if version != POLICY_VERSION:
            raise PolicyError("schedule.policy.bad_version", version=str(version))
        medication = data.get("medication")
        line_care = data.get("line_care")
        shifts = data.get("shifts")
        return cls(
            medication=default_medication_policy()
            if medication is None
            else MedicationPolicy.from_dict(_mapping(medication, "medication")),
            line_care=default_line_care_policy()
            if line_care is None
            else LineCarePolicy.from_dict(_mapping(line_care, "line_care")),
            shifts=default_shift_policy() if shifts is None else ShiftPolicy.from_list(shifts),
            lead_minutes=_int(data.get("lead_minutes", DEFAULT_LEAD_MINUTES), "lead_minutes"),
            escalation_minutes=_int(
                data.get("escalation_minutes", DEFAULT_ESCALATION_MINUTES), "escalation_minutes"
            ),
            group_notes=data.get("group_notes", True) is not False,
        )


def default_ward_policy() -> WardPolicy:
    return WardPolicy()


# --------------------------------------------------------------------------- occurrences


def _require_aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise ScheduleError("schedule.naive_datetime", name=name)


def _resolve_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of ward wall time ``clock`` on local date ``day``.

    fold=0 does both DST decisions: in a fall-back overlap it picks the first (earlier)
    instant, so an ambiguous dose is given once; in a spring-forward gap zoneinfo applies
    the offset from before the transition, which moves the dose later by the length of the
    gap (02:30 -> 03:30 in New York): a dose is never dropped.
    """
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


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


def _line_type(line_code: str) -> str:
    if line_code not in LINE_CODES:
        raise ScheduleError("schedule.unknown_line", line=line_code)
    return line_code


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
