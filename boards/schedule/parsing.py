"""Reading frequencies, routes, clock times and dates from what nurses type."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from boards.schedule._common import _require_aware, _resolve_local
from boards.schedule.codes import Frequency, Route
from boards.text import clean_text


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
