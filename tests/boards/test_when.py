"""One time grammar: every form a nurse types means the same instant in every command."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boards.bedside import parse_line_args
from boards.commands import SurgeryArgs, parse_item, parse_surgery
from boards.errors import BadInput
from boards.i18n import LOCALES, catalogue
from boards.model import ItemKind
from boards.tasks import parse_med_args, parse_remind_args
from boards.when import parse_when, take_when

SH = ZoneInfo("Asia/Shanghai")
ZONES = [SH, ZoneInfo("Asia/Hong_Kong"), ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")]
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: ZoneInfo = SH) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


# --- what each form means --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        # a clock alone: today's, in every command
        ("15:00", local(2026, 11, 24, 15)),
        ("下午3点", local(2026, 11, 24, 15)),
        ("下午 3点", local(2026, 11, 24, 15)),
        ("3pm", local(2026, 11, 24, 15)),
        ("3 PM", local(2026, 11, 24, 15)),
        ("3:30pm", local(2026, 11, 24, 15, 30)),
        ("8点半", local(2026, 11, 24, 8, 30)),
        ("0800", local(2026, 11, 24, 8)),
        ("8.30", local(2026, 11, 24, 8, 30)),
        ("22:00", local(2026, 11, 24, 22)),  # tonight, even typed in the morning
        ("07:00", local(2026, 11, 24, 7)),  # this morning: in the past, the caller says so
        ("２０：１５", local(2026, 11, 24, 20, 15)),
        # a day word before a clock
        ("今天 18:00", local(2026, 11, 24, 18)),
        ("明天 9:00", local(2026, 11, 25, 9)),
        ("明天9点", local(2026, 11, 25, 9)),
        ("明天 下午 3点", local(2026, 11, 25, 15)),
        ("後天上午9點半", local(2026, 11, 26, 9, 30)),
        ("tomorrow 9am", local(2026, 11, 25, 9)),
        ("yesterday 22:00", local(2026, 11, 23, 22)),
        ("昨天 22:00", local(2026, 11, 23, 22)),
        ("今晚8点", local(2026, 11, 24, 20)),
        ("明早8点", local(2026, 11, 25, 8)),
        # a date before a clock
        ("11-24 09:00", local(2026, 11, 24, 9)),
        ("11月24日 9点", local(2026, 11, 24, 9)),
        ("11月24号9:00", local(2026, 11, 24, 9)),
        ("11.25 09:00", local(2026, 11, 25, 9)),
        ("11/25 09:00", local(2026, 11, 25, 9)),
        ("25/11 09:00", local(2026, 11, 25, 9)),  # only one order is a date
        ("2026-11-25T09:00", local(2026, 11, 25, 9)),
        ("2026年11月25日9点", local(2026, 11, 25, 9)),
        ("01-02 08:00", local(2027, 1, 2, 8)),  # the nearest such date
        # from now, and back
        ("30分钟后", NOW + timedelta(minutes=30)),
        ("半小时后", NOW + timedelta(minutes=30)),
        ("1个半小时后", NOW + timedelta(minutes=90)),
        ("1小时30分钟后", NOW + timedelta(minutes=90)),
        ("两小时后", NOW + timedelta(hours=2)),
        ("+2h", NOW + timedelta(hours=2)),
        ("in 30 min", NOW + timedelta(minutes=30)),
        ("30min", NOW + timedelta(minutes=30)),
        ("2小时前", NOW - timedelta(hours=2)),
        ("2 hours ago", NOW - timedelta(hours=2)),
        # refused, never guessed
        ("3/4 09:00", None),  # 3 April or 4 March?
        ("8", None),  # a drain's number, a dose
        ("晚上12点", None),  # tonight or last night?
        ("24:00", None),
        ("2月30日 08:00", None),
        ("1800-01-01 08:00", None),
        ("11-24", None),  # a day without a clock, where a clock is needed
        ("明天", None),
        ("in 2h ago", None),
        ("半分钟后", None),
        ("soon", None),
        ("", None),
    ],
)
def test_what_each_form_means(typed: str, meant: datetime | None) -> None:
    assert parse_when(typed, now=NOW, tz=SH) == meant


def test_a_day_alone_is_its_midnight_where_a_command_allows_it() -> None:
    assert parse_when("11-20", now=NOW, tz=SH, day_alone=True) == local(2026, 11, 20)
    assert parse_when("昨天", now=NOW, tz=SH, day_alone=True) == local(2026, 11, 23)
    assert parse_when("今晚", now=NOW, tz=SH, day_alone=True) is None  # 今晚 names no clock


def test_take_when_takes_the_longest_reading() -> None:
    words = ["明天", "下午", "3点", "腹腔镜胆囊切除术"]
    assert take_when(words, now=NOW, tz=SH) == (local(2026, 11, 25, 15), 3)
    assert take_when(["15:00", "CT"], now=NOW, tz=SH) == (local(2026, 11, 24, 15), 1)
    assert take_when(["CT", "15:00"], now=NOW, tz=SH) is None


# --- the same in every command ---------------------------------------------------------------

Reader = Callable[[list[str], datetime, ZoneInfo], datetime | None]


def _surgery(form: list[str], now: datetime, tz: ZoneInfo) -> datetime | None:
    args = parse_surgery(["12", *form, "阑尾切除术"], bed_count=40, now=now, tz=tz)
    assert isinstance(args, SurgeryArgs)
    assert args.procedure == "阑尾切除术"
    return args.at


def _exam(form: list[str], now: datetime, tz: ZoneInfo) -> datetime | None:
    args = parse_item(["12", *form, "CT"], ItemKind.EXAM, bed_count=40, now=now, tz=tz)
    assert args.text == "CT"
    return args.at


def _remind(form: list[str], now: datetime, tz: ZoneInfo) -> datetime | None:
    args = parse_remind_args([*form, "复测血糖"], now=now, tz=tz)
    assert args.text == "复测血糖"
    return args.due_at


def _med_start(form: list[str], now: datetime, tz: ZoneInfo) -> datetime | None:
    return parse_med_args(["头孢呋辛", "1.5g", "ivgtt", "bid", *form], now=now, tz=tz).start


def _line(form: list[str], now: datetime, tz: ZoneInfo) -> datetime | None:
    word, site, inserted, purpose = parse_line_args(
        ["PICC", "右上臂", *form, "化疗"], now=now, tz=tz
    )
    assert (word, site, purpose) == ("PICC", "右上臂", "化疗")
    return inserted


COMMANDS: dict[str, Reader] = {
    "/surgery": _surgery,
    "/exam": _exam,
    "/remind": _remind,
    "/med start": _med_start,
    "/line inserted": _line,
}


def _forms(day: date, clock: time, today: date) -> list[str]:
    """Ways of writing ward wall time `clock` on `day`, as nurses type them."""
    h, m = clock.hour, clock.minute
    hm = f"{h:02d}:{m:02d}"
    zh_clock = f"{h}点" + ("" if m == 0 else "半" if m == 30 else f"{m}分")
    forms = [
        f"{day.month:02d}-{day.day:02d} {hm}",
        f"{day.month}-{day.day} {h}:{m:02d}",
        f"{day.month}月{day.day}日 {zh_clock}",
        f"{day.month}月{day.day}号{hm}",
        f"{day.year}-{day.month:02d}-{day.day:02d} {hm}",
        f"{day.year}年{day.month}月{day.day}日 {hm}",
        f"{day.month}.{day.day} {hm}",
    ]
    if day.day > 12 or day.day == day.month:
        forms.append(f"{day.month}/{day.day} {hm}")
    if 13 <= h <= 23:
        forms.append(f"{day.month}月{day.day}日 下午{h - 12}点" + (f"{m}分" if m else ""))
    twelve = f"{h % 12 or 12}" + (f":{m:02d}" if m else "") + ("pm" if h >= 12 else "am")
    words = {0: ("今天", "today"), 1: ("明天", "tomorrow"), 2: ("后天", None)}
    zh_day, en_day = words.get((day - today).days, (None, None))
    if zh_day:
        forms += [f"{zh_day} {hm}", f"{zh_day}{zh_clock}", f"{zh_day} {twelve}"]
    if en_day:
        forms.append(f"{en_day} {hm}")
    if day == today:
        forms += [hm, zh_clock, twelve, f"{h:02d}{m:02d}"]
    return forms


@FAST
@given(
    now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
    tz=st.sampled_from(ZONES),
    days=st.integers(min_value=-20, max_value=40),
    clock=st.builds(time, st.integers(0, 23), st.sampled_from([0, 5, 15, 30, 45, 59])),
)
def test_every_form_means_the_same_instant_in_every_command(
    now: datetime, tz: ZoneInfo, days: int, clock: time
) -> None:
    now = now.replace(tzinfo=UTC)
    today = now.astimezone(tz).date()
    day = today + timedelta(days=days)
    meant = datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)
    for form in _forms(day, clock, today):
        assert parse_when(form, now=now, tz=tz) == meant, form
        for command, read in COMMANDS.items():
            assert read(form.split(), now, tz) == meant, (command, form)


@FAST
@given(
    now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)),
    minutes=st.integers(min_value=1, max_value=600),
)
def test_from_now_means_the_same_in_every_command(now: datetime, minutes: int) -> None:
    now = now.replace(tzinfo=UTC)
    meant = now + timedelta(minutes=minutes)
    hours, rest = divmod(minutes, 60)
    forms = [f"{minutes}分钟后", f"in {minutes} min", f"+{minutes}m"]
    if hours and rest:
        forms.append(f"{hours}小时{rest}分钟后")
    elif hours:
        forms += [f"{hours}小时后", f"+{hours}h", f"in {hours} hours"]
    for form in forms:
        assert parse_when(form, now=now, tz=SH) == meant, form
        for command, read in COMMANDS.items():
            if command != "/line inserted":  # an insertion from now is in the future
                assert read(form.split(), now, SH) == meant, (command, form)


@FAST
@given(
    text=st.text(alphabet="0123456789:-/.月日号点半时分后前天明今昨 amphinourstoday", max_size=14)
)
def test_what_one_command_refuses_every_command_refuses(text: str) -> None:
    # Words that start with no time the grammar reads are a time in no command.
    form = text.split()
    if not form or take_when(form, now=NOW, tz=SH) is not None:
        return
    for command in ("/surgery", "/exam", "/remind"):  # /med takes "-" for now
        with pytest.raises(BadInput):
            COMMANDS[command](form, NOW, SH)


# --- the usage texts list forms the grammar reads ------------------------------------------------

_FORMS_LINE = re.compile(
    r"^(?:时间可写|置管时间可写|時間可寫|置放時間可寫|Times|Insertion times)[：:]\s*(.+)$", re.M
)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("command", ["surgery", "exam", "remind", "med", "line"])
def test_usage_lists_the_time_forms_and_each_is_read(locale: str, command: str) -> None:
    usage = catalogue(locale)[f"usage.{command}"]
    found = _FORMS_LINE.search(usage)
    assert found, usage
    forms = [f.strip() for f in re.split(r"[、,，]", found.group(1))]
    assert len(forms) >= 5
    for form in forms:
        meant = parse_when(form, now=NOW, tz=SH, day_alone=command == "line")
        assert meant is not None, (command, form)
