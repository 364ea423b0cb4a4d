"""Medication orders, reminders and line care as tasks: materialised, delivered once, closed."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from boards.access import Actor, occupant, record_audit, require_head, require_member
from boards.board_data import ReminderSummary
from boards.errors import BadInput, Conflict, Forbidden, NotFound
from boards.lines import DEFAULT_LINES, LineKind
from boards.model import (
    MedicationOrder,
    PatientLine,
    Reminder,
    Stay,
    TaskKind,
    TaskOccurrence,
    TaskStatus,
    Ward,
)
from boards.ports import Clock, UnitOfWork
from boards.schedule import (
    DEFAULT_SLOT_MINUTES,
    Frequency,
    MedicationPolicy,
    Route,
    ScheduleError,
    WardPolicy,
    default_medication_policy,
    default_ward_policy,
    line_care_occurrences,
    medication_occurrences,
    parse_clock,
    parse_frequency,
    parse_route,
    parse_when,
    slot_of,
)
from boards.text import clean_text, excerpt

__all__ = [
    "CLAIM_LIMIT",
    "HORIZON",
    "LATE_AFTER",
    "LEASE",
    "MAX_DOSE",
    "MAX_DRUG",
    "MAX_REASON",
    "MAX_REMIND_TEXT",
    "SNOOZE_MAX_MINUTES",
    "Acknowledged",
    "DueTask",
    "MedArgs",
    "NumberedOrder",
    "NumberedReminder",
    "PolicyChange",
    "Prescribed",
    "RemindArgs",
    "Rewrite",
    "Slot",
    "Stopped",
    "TasksView",
    "acknowledge",
    "add_reminder",
    "board_summary",
    "claim_due",
    "due_for_escalation",
    "get_policy",
    "group_slots",
    "list_orders",
    "list_reminders",
    "mark_escalated",
    "mark_sent",
    "materialise",
    "message_slot",
    "parse_med_args",
    "parse_remind_args",
    "prescribe",
    "release",
    "row_order",
    "set_policy",
    "snooze",
    "stop_order",
    "stop_reminder",
    "sync_line_care",
    "task_of_ward",
    "tasks_view",
    "ward_zones",
]

# Tasks exist this far ahead: a restart, a long outage of the tick or a slow top-up never
# leaves a dose without its row, and the board can show tomorrow morning's round.
HORIZON = timedelta(hours=48)
# A source is topped up again once its tasks reach less than HORIZON - this ahead: the
# tick may call materialise every minute without rewriting thousands of horizon rows.
_TOPUP_STEP = timedelta(hours=1)
# Stays that ended this far back are checked for pending tasks planned after the patient
# left; older leftovers were cancelled by earlier top-ups (and the claim skips them anyway).
_ENDED_LOOKBACK = HORIZON + timedelta(days=1)
LEASE = timedelta(minutes=2)
CLAIM_LIMIT = 500
# Claimed more than this after its due time, a task was missed (downtime, a dead sender)
# and goes out marked late.
LATE_AFTER = timedelta(minutes=10)
_ESCALATION_FLOOR = timedelta(minutes=1)  # WardPolicy allows no shorter window
_ESCALATION_LIMIT = 2000
MAX_DRUG = 64
MAX_DOSE = 32
MAX_REMIND_TEXT = 100
MAX_REASON = 100
SNOOZE_MAX_MINUTES = 240
# A one-off reminder for "14:30" typed at 14:30:40 is for now, not in the past.
_REMIND_GRACE = timedelta(minutes=1)


# --- what the services return --------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class NumberedOrder:
    """An order with its number on the patient's list (stable: stopped ones keep theirs)."""

    number: int
    order: MedicationOrder
    active: bool


@dataclass(frozen=True, slots=True)
class NumberedReminder:
    number: int
    reminder: Reminder
    active: bool


@dataclass(frozen=True, slots=True)
class Prescribed:
    stay: Stay
    number: int
    order: MedicationOrder
    upcoming: tuple[TaskOccurrence, ...]  # its pending tasks now materialised


@dataclass(frozen=True, slots=True)
class Stopped:
    """A stopped order or reminder and the future tasks that were cancelled with it; the
    bot edits the messages of those already sent."""

    stay: Stay
    number: int
    source: MedicationOrder | Reminder
    cancelled: tuple[TaskOccurrence, ...]


@dataclass(frozen=True, slots=True)
class Rewrite:
    added: int
    cancelled: tuple[TaskOccurrence, ...]


@dataclass(frozen=True, slots=True)
class PolicyChange:
    policy: WardPolicy
    added: int
    cancelled: tuple[TaskOccurrence, ...]


@dataclass(frozen=True, slots=True)
class Acknowledged:
    task: TaskOccurrence
    stay: Stay


@dataclass(frozen=True, slots=True)
class Slot:
    """One message's worth: a ward's tasks of one time slot, or all its late tasks at once
    (after downtime: one message, not a flood). `start` is the slot start (aware UTC); for
    a late batch, the earliest slot among its tasks."""

    ward_id: int
    start: datetime
    late: bool
    tasks: tuple[TaskOccurrence, ...]


@dataclass(frozen=True, slots=True)
class DueTask:
    task: TaskOccurrence
    stay: Stay
    overdue: bool  # past the ward's escalation window, still open


@dataclass(frozen=True, slots=True)
class TasksView:
    """`/tasks`: open tasks due now (overdue ones flagged), then the rest of the shift."""

    ward: Ward
    now: datetime
    due: tuple[DueTask, ...]
    upcoming: tuple[DueTask, ...]
    summary: ReminderSummary


# --- small helpers -------------------------------------------------------------------------


def _shown(word: str) -> str:
    # Echoed words go into replies: short, cleaned, and never a whole pasted paragraph.
    return excerpt(word, 16)


def _clean(text: str | None, *, limit: int) -> str | None:
    """Cleaned (boards.text, without NFKC: 10⁹/L keeps its meaning); None for nothing;
    BadInput past `limit` characters."""
    if text is None:
        return None
    clean = clean_text(text, nfkc=False)
    if not clean:
        return None
    if len(clean) > limit:
        raise BadInput("err.too_long", limit=limit)
    return clean


def _local_hhmm(at: datetime, tz: ZoneInfo) -> str:
    return f"{at.astimezone(tz):%H:%M}"


def _is_zh(locale: str) -> bool:
    return not locale.startswith("en")


# --- what nurses type ----------------------------------------------------------------------

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


def _when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    try:
        return parse_when(text, now=now, tz=tz)
    except (OverflowError, ValueError):
        # A date at the edge of the calendar (year 1 or 9999) has no UTC instant.
        return None


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
            raise BadInput("err.med_dose", value=_shown(word))
        if word[0].isdigit() and not _NAME_WITH_DIGIT.fullmatch(word):
            # Digits first but no unit we know: "1.5克s", "500": never guess a dose.
            raise BadInput("err.med_dose", value=_shown(word))
    raise BadInput("err.med_form")


def parse_med_args(args: Sequence[str], *, now: datetime, tz: ZoneInfo) -> MedArgs:
    """Read the words after the bed of `/med <bed> <drug> <dose> <route> <freq> [start] [stop]`.

    - drug: every word before the dose, so names may have several words
      (`维生素 B12`, `0.9% NS`); the dose is the first later word that starts with a digit.
    - dose: a number and a unit, together or apart: `0.5g`, `500 mg`, `10ml`, `2片`, `40U`,
      `480万U`, `1/2片`. A number without a unit is refused, never guessed.
    - route, frequency: as boards.schedule reads them (`ivgtt`, `静滴`, `i.v. gtt`; `bid`,
      `q8h`, `每日2次`), each one to three words.
    - start, stop: times as boards.schedule.parse_when reads them (`8:00`, `明天 8:00`,
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
        raise BadInput("err.med_route", value=_shown(rest[0]))
    route, taken = route_found
    rest = rest[taken:]
    if not rest:
        raise BadInput("err.med_form")
    freq_found = _longest(rest, parse_frequency, 3)
    if freq_found is None:
        raise BadInput("err.med_freq", value=_shown(rest[0]))
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
        found = _longest(words, lambda text: _when(text, now=now, tz=tz), 2)
        if found is None:
            raise BadInput("err.med_time", value=_shown(words[0]))
        start, taken = found
    rest = words[taken:]
    if not rest:
        return start, None
    stop = _when(" ".join(rest), now=now, tz=tz) if len(rest) <= 2 else None
    if stop is None:
        raise BadInput("err.med_time", value=_shown(" ".join(rest)))
    return start, stop


_DAILY_WORDS = ("每天", "每日", "天天", "daily", "everyday", "every day")
_RELATIVE = re.compile(
    r"(?:\+|in)?(?P<n>[0-9]{1,3})(?P<unit>分钟|分|min|mins|m|小时|个小时|h|hr|hrs)(?:后|以后|later)?",
    re.IGNORECASE,
)


def _relative(word: str, now: datetime) -> datetime | None:
    match = _RELATIVE.fullmatch(word)
    if match is None:
        return None
    n = int(match.group("n"))
    minutes = n if match.group("unit").lower() in ("分钟", "分", "min", "mins", "m") else n * 60
    if not 1 <= minutes <= 7 * 24 * 60:
        return None
    try:
        return (now + timedelta(minutes=minutes)).astimezone(UTC)
    except OverflowError:
        return None


def parse_remind_args(args: Sequence[str], *, now: datetime, tz: ZoneInfo) -> RemindArgs:
    """Read the words after the bed of `/remind <bed> <time> <text>`.

    - once: `15:30`, `明天 9:00`, `11-24 09:00`, or from now: `30分钟后`, `+2h`, `2小时后`;
    - daily: `每天 8:00`, `每天8点`, `daily 08:00` (until stopped: `stop_reminder`).
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
            raise BadInput("err.remind_time", value=_shown(" ".join(words[:2])))
        return RemindArgs(text=_remind_text(words[taken:]), daily_at=clock)
    due = _relative(first, now)
    taken = 1
    if due is None:
        found = _longest(words, lambda text: _when(text, now=now, tz=tz), 2)
        if found is None:
            raise BadInput("err.remind_time", value=_shown(words[0]))
        due, taken = found
    return RemindArgs(text=_remind_text(words[taken:]), due_at=due)


def _remind_text(words: Sequence[str]) -> str:
    text = _clean(" ".join(words), limit=MAX_REMIND_TEXT)
    if text is None:
        raise BadInput("err.remind_form")
    return text


# --- ward policy ---------------------------------------------------------------------------


async def _policy_of(uow: UnitOfWork, ward_id: int) -> WardPolicy:
    document = await uow.policies.get(ward_id)
    return default_ward_policy() if document is None else WardPolicy.from_dict(document)


async def get_policy(uow: UnitOfWork, *, ward: Ward) -> WardPolicy:
    """The ward's policy, or the defaults when the head nurse never set one."""
    return await _policy_of(uow, ward.id)


def _checked_policy(policy: WardPolicy | Mapping[str, object]) -> WardPolicy:
    if isinstance(policy, WardPolicy):
        return policy
    try:
        return WardPolicy.from_dict(policy)
    except ScheduleError as error:
        # PolicyError already is a BadInput; any other schedule refusal becomes one too.
        if isinstance(error, BadInput):
            raise
        raise BadInput(error.key, **error.params) from error


async def set_policy(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    policy: WardPolicy | Mapping[str, object],
    horizon: timedelta = HORIZON,
) -> PolicyChange:
    """The head nurse sets the ward's policy (a WardPolicy, or its to_dict() document).

    It applies to future tasks only: pending tasks planned from now on are rewritten
    (cancelled where the new policy no longer has them, added where it has new ones, their
    reminder time moved with a new lead); past, done and skipped tasks stay as they are.
    """
    await require_head(uow, ward.id, actor.user_id)
    new = _checked_policy(policy)
    await uow.tasks.lock_ward(ward.id)
    old = await _policy_of(uow, ward.id)
    before, after = old.to_dict(), new.to_dict()
    if before == after:
        raise Conflict("err.unchanged")
    now = clock.now()
    await uow.policies.put(ward.id, after, at=now, by=actor.user_id)
    rewrite = await _sync_ward(uow, ward, new, now=now, horizon=horizon, rewrite=True)
    await record_audit(
        uow, clock, actor, ward.id, "ward:policy", ward.name, before=before, after=after
    )
    return PolicyChange(policy=new, added=rewrite.added, cancelled=rewrite.cancelled)


# --- sources: what generates tasks ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Due:
    rule_code: str
    planned: datetime
    text: str


@dataclass(frozen=True, slots=True)
class _Source:
    kind: TaskKind
    id: int
    stay_id: int
    # Where a never-materialised source starts; None: now (lines are first seen when
    # recorded, often long after insertion: their past care is not invented).
    floor: datetime | None
    generate: Callable[[datetime, datetime], list[_Due]]


def _order_text(order: MedicationOrder) -> str:
    return f"{order.drug} {order.dose} {order.route.value}"


def _order_source(order: MedicationOrder, policy: WardPolicy, tz: ZoneInfo) -> _Source:
    text = _order_text(order)

    def generate(lo: datetime, hi: datetime) -> list[_Due]:
        ends = order.ends_at
        if ends is not None and ends <= order.start_at:
            return []  # stopped before it began
        due = medication_occurrences(
            freq=order.freq,
            route=order.route,
            start=order.start_at,
            stop=ends,
            window_start=lo,
            window_end=hi,
            tz=tz,
            policy=policy.medication,
        )
        return [_Due("", t, text) for t in due]

    # Doses before the order was entered are not reminded: they are the past.
    floor = max(order.start_at, order.created_at)
    return _Source(TaskKind.MED, order.id, order.stay_id, floor, generate)


@functools.lru_cache(maxsize=256)
def _daily_policy(at: time) -> MedicationPolicy:
    # A daily reminder is a qd "order" at its own clock time: the same DST-safe arithmetic.
    return default_medication_policy().with_times(Frequency.QD, (at,))


def _reminder_source(reminder: Reminder, tz: ZoneInfo) -> _Source:
    def generate(lo: datetime, hi: datetime) -> list[_Due]:
        stop = reminder.stopped_at
        if reminder.daily_at is None:
            due = reminder.due_at
            live = stop is None or due < stop
            return [_Due("", due, reminder.text)] if live and lo <= due < hi else []
        if stop is not None and stop <= reminder.due_at:
            return []
        due_times = medication_occurrences(
            freq=Frequency.QD,
            route=None,
            start=reminder.due_at,
            stop=stop,
            window_start=lo,
            window_end=hi,
            tz=tz,
            policy=_daily_policy(reminder.daily_at),
        )
        return [_Due("", t, reminder.text) for t in due_times]

    floor = min(reminder.created_at, reminder.due_at)
    return _Source(TaskKind.REMINDER, reminder.id, reminder.stay_id, floor, generate)


_LINE_KINDS: Mapping[str, LineKind] = {k.code: k for k in DEFAULT_LINES}


def _nothing(lo: datetime, hi: datetime) -> list[_Due]:
    return []


def _line_source(line: PatientLine, policy: WardPolicy, tz: ZoneInfo, locale: str) -> _Source:
    try:
        rules = policy.line_care.rules_for(line.code)
    except ScheduleError:
        rules = ()  # a line type the schedule does not know has no care rules
    if not rules or (line.removed_at is not None and line.removed_at <= line.inserted_at):
        # Still a source: a policy change that drops a type's rules must reach its lines'
        # future tasks and cancel them.
        return _Source(TaskKind.LINE_CARE, line.id, line.stay_id, None, _nothing)
    kind = _LINE_KINDS.get(line.code)
    zh = _is_zh(locale)
    name = line.code if kind is None else (kind.name_zh if zh else kind.abbr)
    texts = {r.code: f"{name}：{r.name_zh}" if zh else f"{name}: {r.name_en}" for r in rules}

    def generate(lo: datetime, hi: datetime) -> list[_Due]:
        found = line_care_occurrences(
            line_code=line.code,
            inserted_at=line.inserted_at,
            removed_at=line.removed_at,
            window_start=lo,
            window_end=hi,
            tz=tz,
            policy=policy.line_care,
        )
        return [_Due(rule.code, t, texts[rule.code]) for rule, t in found]

    return _Source(TaskKind.LINE_CARE, line.id, line.stay_id, None, generate)


@dataclass(slots=True)
class _WardState:
    stays: list[Stay]
    orders: list[MedicationOrder]
    reminders: list[Reminder]
    lines: list[PatientLine]


async def _ward_state(uow: UnitOfWork, ward: Ward, kinds: frozenset[TaskKind]) -> _WardState:
    stays = await uow.stays.active(ward.id)
    ids = [s.id for s in stays]
    return _WardState(
        stays=stays,
        orders=await uow.orders.of_stays(ids) if TaskKind.MED in kinds else [],
        reminders=await uow.reminders.of_stays(ids) if TaskKind.REMINDER in kinds else [],
        lines=await uow.lines.of_stays(ids) if TaskKind.LINE_CARE in kinds else [],
    )


def _sources(state: _WardState, ward: Ward, policy: WardPolicy, now: datetime) -> list[_Source]:
    tz = ZoneInfo(ward.timezone)
    found = [_order_source(o, policy, tz) for o in state.orders if o.active(now)]
    found += [_reminder_source(r, tz) for r in state.reminders if r.active(now)]
    found += [_line_source(ln, policy, tz, ward.locale) for ln in state.lines if ln.present]
    return found


def _task(
    ward: Ward, source: _Source, due: _Due, policy: WardPolicy, now: datetime
) -> TaskOccurrence:
    planned = due.planned.astimezone(UTC)
    return TaskOccurrence(
        id=0,
        ward_id=ward.id,
        stay_id=source.stay_id,
        kind=source.kind,
        source_id=source.id,
        rule_code=due.rule_code,
        planned_at=planned,
        due_at=planned,
        remind_at=policy.remind_at(planned),
        text=due.text,
        created_at=now,
    )


async def _top_up(
    uow: UnitOfWork,
    ward: Ward,
    policy: WardPolicy,
    sources: Sequence[_Source],
    *,
    now: datetime,
    horizon: timedelta,
    rewrite: bool = False,
) -> Rewrite:
    """Materialise `sources` up to now + horizon, from where each left off.

    With `rewrite`, a source already materialised is regenerated from now on instead: its
    pending tasks planned from now on that the schedule no longer gives are cancelled, new
    ones added, and unsent ones get the policy's reminder time. The caller holds the lock.
    """
    end = now + horizon
    added = 0
    cancelled: list[TaskOccurrence] = []
    by_kind: dict[TaskKind, list[_Source]] = defaultdict(list)
    for source in sources:
        by_kind[source.kind].append(source)
    for kind, group in by_kind.items():
        ids = [s.id for s in group]
        horizons = await uow.tasks.horizons(kind, ids)
        pending: dict[int, list[TaskOccurrence]] = defaultdict(list)
        if rewrite:
            for task in await uow.tasks.pending_of_sources(kind, ids):
                pending[task.source_id].append(task)
        fresh: list[TaskOccurrence] = []
        reached: dict[int, datetime] = {}
        to_cancel: list[int] = []
        remind: dict[int, datetime] = {}
        for source in group:
            done_until = horizons.get(source.id)
            if rewrite and done_until is not None:
                until = max(done_until, end)
                wanted = source.generate(now, until)
                keys = {(d.rule_code, d.planned, d.text) for d in wanted}
                for task in pending[source.id]:
                    if task.planned_at < now:
                        continue  # the past is never rewritten
                    if (task.rule_code, task.planned_at, task.text) not in keys:
                        to_cancel.append(task.id)
                    elif (
                        not task.snoozed
                        and task.sent_at is None
                        and task.remind_at != policy.remind_at(task.due_at)
                    ):
                        remind[task.id] = policy.remind_at(task.due_at)
            else:
                if done_until is not None and done_until >= end - _TOPUP_STEP:
                    continue
                start = done_until or source.floor or now
                until = max(end, start)
                wanted = source.generate(start, until) if start < until else []
            fresh += [_task(ward, source, due, policy, now) for due in wanted]
            reached[source.id] = until
        # Cancel first: a task rewritten with a new text takes its old planned time again.
        cancelled += await uow.tasks.cancel(to_cancel, at=now)
        await uow.tasks.set_remind_at(remind)
        added += await uow.tasks.add_missing(fresh)
        await uow.tasks.set_horizons(kind, reached)
    return Rewrite(added=added, cancelled=tuple(cancelled))


async def _cancel_stale(
    uow: UnitOfWork, ward: Ward, state: _WardState, *, now: datetime
) -> list[TaskOccurrence]:
    """Cancel pending tasks planned after their line came out or their patient left.

    Lines are removed and patients discharged by other services; the top-up catches up
    (and the claim never sends such a task meanwhile). Tasks planned before are kept: an
    unconfirmed dose before discharge stays unconfirmed, not silently "cancelled".
    """
    stale: list[int] = []
    removed = {ln.id: ln.removed_at for ln in state.lines if ln.removed_at is not None}
    if removed:
        for task in await uow.tasks.pending_of_sources(TaskKind.LINE_CARE, list(removed)):
            gone = removed[task.source_id]
            if gone is not None and task.planned_at >= gone:
                stale.append(task.id)
    ended = {
        s.id: s.ended_at
        for s in await uow.stays.ended_since(ward.id, now - _ENDED_LOOKBACK)
        if s.ended_at is not None
    }
    if ended:
        for task in await uow.tasks.pending_of_stays(list(ended)):
            if task.planned_at >= ended[task.stay_id]:
                stale.append(task.id)
    return await uow.tasks.cancel(stale, at=now)


async def _sync_ward(
    uow: UnitOfWork,
    ward: Ward,
    policy: WardPolicy,
    *,
    now: datetime,
    horizon: timedelta,
    rewrite: bool = False,
    kinds: frozenset[TaskKind] = frozenset(TaskKind),
) -> Rewrite:
    state = await _ward_state(uow, ward, kinds)
    stale = await _cancel_stale(uow, ward, state, now=now)
    sources = _sources(state, ward, policy, now)
    result = await _top_up(uow, ward, policy, sources, now=now, horizon=horizon, rewrite=rewrite)
    return Rewrite(added=result.added, cancelled=(*stale, *result.cancelled))


async def materialise(
    uow: UnitOfWork,
    clock: Clock,
    *,
    ward_ids: Sequence[int] | None = None,
    horizon: timedelta = HORIZON,
) -> Rewrite:
    """Top up every active order, reminder and line of these wards (default: every ward
    with a patient) to now + horizon, and cancel the pending tasks of lines removed and
    patients gone since. Idempotent, and safe on two instances at once (a per-ward lock,
    and a unique index the inserts yield to). The caller commits; per ward is best for
    many wards, as each ward's lock is held until then.
    """
    now = clock.now()
    wanted = list(ward_ids) if ward_ids is not None else await uow.tasks.ward_ids()
    added = 0
    cancelled: list[TaskOccurrence] = []
    # Sorted: two instances take the ward locks in the same order, so never deadlock.
    for ward in sorted(await uow.wards.many(wanted), key=lambda w: w.id):
        await uow.tasks.lock_ward(ward.id)
        policy = await _policy_of(uow, ward.id)
        result = await _sync_ward(uow, ward, policy, now=now, horizon=horizon)
        added += result.added
        cancelled += result.cancelled
    return Rewrite(added=added, cancelled=tuple(cancelled))


async def sync_line_care(
    uow: UnitOfWork, clock: Clock, *, ward: Ward, horizon: timedelta = HORIZON
) -> Rewrite:
    """Bring the ward's line-care tasks in line with its lines: care tasks for lines now in
    place, future ones of lines removed cancelled. Call it in the turn that adds or removes
    a line (the periodic materialise does it too, later)."""
    await uow.tasks.lock_ward(ward.id)
    policy = await _policy_of(uow, ward.id)
    return await _sync_ward(
        uow,
        ward,
        policy,
        now=clock.now(),
        horizon=horizon,
        kinds=frozenset({TaskKind.LINE_CARE}),
    )


# --- medication orders ---------------------------------------------------------------------


def _numbered_orders(orders: Sequence[MedicationOrder], now: datetime) -> list[NumberedOrder]:
    ordered = sorted(orders, key=lambda o: o.id)
    return [NumberedOrder(n, o, o.active(now)) for n, o in enumerate(ordered, start=1)]


def _order_audit(order: MedicationOrder) -> dict[str, Any]:
    return {
        "drug": order.drug,
        "dose": order.dose,
        "route": order.route.value,
        "freq": order.freq.value,
        "start_at": order.start_at.isoformat(),
        "stop_at": order.stop_at.isoformat() if order.stop_at else None,
    }


async def prescribe(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    args: MedArgs,
    horizon: timedelta = HORIZON,
) -> Prescribed:
    """Record a medication order for the patient in `bed` and materialise its doses.

    A start in the past is the order's start, but only doses from now on are reminded;
    st is one dose at its start, or now if that has passed; prn records the order only.
    """
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    now = clock.now()
    start = (args.start or now).astimezone(UTC)
    if args.freq is Frequency.ST:
        start = max(start, now)
    if args.stop is not None and args.stop <= now:
        raise BadInput("err.med_stop_past")
    if args.stop is not None and args.stop <= start:
        raise BadInput("err.med_stop_before_start")
    drug = _clean(args.drug, limit=MAX_DRUG)
    dose = _clean(args.dose, limit=MAX_DOSE)
    if drug is None or dose is None:
        raise BadInput("err.med_form")
    await uow.tasks.lock_ward(ward.id)
    policy = await _policy_of(uow, ward.id)
    order = await uow.orders.add(
        MedicationOrder(
            id=0,
            stay_id=stay.id,
            drug=drug,
            dose=dose,
            route=args.route,
            freq=args.freq,
            start_at=start,
            stop_at=None if args.stop is None else args.stop.astimezone(UTC),
            created_at=now,
            created_by=actor.user_id,
        )
    )
    source = _order_source(order, policy, ZoneInfo(ward.timezone))
    await _top_up(uow, ward, policy, [source], now=now, horizon=horizon)
    number = len(await uow.orders.of_stays([stay.id]))
    upcoming = await uow.tasks.pending_of_sources(TaskKind.MED, [order.id])
    await record_audit(
        uow, clock, actor, ward.id, "med:prescribe", f"bed {bed}", after=_order_audit(order)
    )
    return Prescribed(stay=stay, number=number, order=order, upcoming=tuple(upcoming))


async def list_orders(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str
) -> tuple[Stay, list[NumberedOrder]]:
    """`/meds <bed>`: every order of the stay with its number, stopped ones marked."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    return stay, _numbered_orders(await uow.orders.of_stays([stay.id]), clock.now())


async def _cancel_from(
    uow: UnitOfWork, kind: TaskKind, source_id: int, cut: datetime, now: datetime
) -> list[TaskOccurrence]:
    pending = await uow.tasks.pending_of_sources(kind, [source_id])
    return await uow.tasks.cancel([t.id for t in pending if t.planned_at >= cut], at=now)


async def stop_order(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str, number: int
) -> Stopped:
    """`/stopmed <bed> <number>`: stop an order now. Its pending tasks planned from now on
    are cancelled (kept, marked cancelled); earlier ones stay open to be done or skipped."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    await uow.tasks.lock_ward(ward.id)
    now = clock.now()
    numbered = _numbered_orders(await uow.orders.of_stays([stay.id]), now)
    chosen = next((n for n in numbered if n.number == number), None)
    if chosen is None:
        raise NotFound("err.med_number", bed=bed, number=number)
    if not chosen.active:
        raise Conflict("err.med_stopped", number=number)
    stopped = await uow.orders.update(
        dataclasses.replace(chosen.order, stopped_at=now, stopped_by=actor.user_id)
    )
    cancelled = await _cancel_from(uow, TaskKind.MED, stopped.id, now, now)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "med:stop",
        f"bed {bed}",
        before=_order_audit(chosen.order),
        after={"stopped_at": now.isoformat(), "cancelled": len(cancelled)},
    )
    return Stopped(stay=stay, number=number, source=stopped, cancelled=tuple(cancelled))


# --- reminders -----------------------------------------------------------------------------


def _numbered_reminders(items: Sequence[Reminder], now: datetime) -> list[NumberedReminder]:
    ordered = sorted(items, key=lambda r: r.id)
    return [NumberedReminder(n, r, r.active(now)) for n, r in enumerate(ordered, start=1)]


def _reminder_audit(reminder: Reminder) -> dict[str, Any]:
    return {
        "text": reminder.text,
        "due_at": reminder.due_at.isoformat(),
        "daily_at": None if reminder.daily_at is None else f"{reminder.daily_at:%H:%M}",
    }


async def add_reminder(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    ward: Ward,
    bed: str,
    args: RemindArgs,
    horizon: timedelta = HORIZON,
) -> tuple[Stay, NumberedReminder]:
    """`/remind <bed> <time> <text>`: a one-off task at a time (not in the past), or a
    daily one at a clock time from now on."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    now = clock.now()
    text = _clean(args.text, limit=MAX_REMIND_TEXT)
    if text is None or (args.due_at is None) == (args.daily_at is None):
        raise BadInput("err.remind_form")
    if args.due_at is not None:
        if args.due_at < now - _REMIND_GRACE:
            raise BadInput("err.remind_past")
        due = max(args.due_at.astimezone(UTC), now)
    else:
        due = now
    await uow.tasks.lock_ward(ward.id)
    policy = await _policy_of(uow, ward.id)
    reminder = await uow.reminders.add(
        Reminder(
            id=0,
            stay_id=stay.id,
            text=text,
            due_at=due,
            created_at=now,
            created_by=actor.user_id,
            daily_at=args.daily_at,
        )
    )
    source = _reminder_source(reminder, ZoneInfo(ward.timezone))
    await _top_up(uow, ward, policy, [source], now=now, horizon=horizon)
    number = len(await uow.reminders.of_stays([stay.id]))
    await record_audit(
        uow, clock, actor, ward.id, "remind:add", f"bed {bed}", after=_reminder_audit(reminder)
    )
    return stay, NumberedReminder(number, reminder, True)


async def list_reminders(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str
) -> tuple[Stay, list[NumberedReminder]]:
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    return stay, _numbered_reminders(await uow.reminders.of_stays([stay.id]), clock.now())


async def stop_reminder(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, ward: Ward, bed: str, number: int
) -> Stopped:
    """Stop a reminder (a daily one, or a one-off not yet due); future tasks cancelled."""
    await require_member(uow, ward.id, actor.user_id)
    stay = await occupant(uow, ward, bed)
    await uow.tasks.lock_ward(ward.id)
    now = clock.now()
    numbered = _numbered_reminders(await uow.reminders.of_stays([stay.id]), now)
    chosen = next((n for n in numbered if n.number == number), None)
    if chosen is None:
        raise NotFound("err.remind_number", bed=bed, number=number)
    if not chosen.active:
        raise Conflict("err.remind_stopped", number=number)
    stopped = await uow.reminders.update(
        dataclasses.replace(chosen.reminder, stopped_at=now, stopped_by=actor.user_id)
    )
    cancelled = await _cancel_from(uow, TaskKind.REMINDER, stopped.id, now, now)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "remind:stop",
        f"bed {bed}",
        before=_reminder_audit(chosen.reminder),
        after={"stopped_at": now.isoformat(), "cancelled": len(cancelled)},
    )
    return Stopped(stay=stay, number=number, source=stopped, cancelled=tuple(cancelled))


# --- delivery: claim, group, record --------------------------------------------------------


async def claim_due(
    uow: UnitOfWork,
    *,
    now: datetime,
    owner: str,
    lease: timedelta = LEASE,
    limit: int = CLAIM_LIMIT,
    late_after: timedelta = LATE_AFTER,
) -> list[TaskOccurrence]:
    """Lease the tasks whose reminder time has come to `owner`, and commit.

    Each task goes to exactly one claimer, also across bot instances on one PostgreSQL.
    The reminder time is the due time minus the ward's lead, kept on each task, so wards
    with different leads share one claim. A task due more than `late_after` before `now`
    (missed while the bot was down) comes back with `late` set. The caller sends, then
    records with `mark_sent` (or gives back with `release`) before the lease runs out;
    an expired lease makes the task claimable again. Claim until nothing comes back before
    grouping, so one slot is not split across messages by the limit.
    """
    tasks = await uow.tasks.claim(
        now=now,
        owner=owner,
        lease_until=now + lease,
        late_before=now - late_after,
        limit=limit,
    )
    # The lease must be visible to other instances before anything is sent.
    await uow.commit()
    return tasks


async def mark_sent(
    uow: UnitOfWork,
    *,
    task_ids: Sequence[int],
    chat_id: int,
    message_id: int,
    sent_at: datetime,
    owner: str,
) -> list[int]:
    """Record that these tasks went out in this message, for those whose lease `owner`
    still holds (one taken over after expiry is left to its new holder); commits.
    Returns the ids recorded."""
    recorded = await uow.tasks.mark_sent(
        task_ids, owner=owner, chat_id=chat_id, message_id=message_id, at=sent_at
    )
    await uow.commit()
    return recorded


async def release(uow: UnitOfWork, *, task_ids: Sequence[int], owner: str) -> list[int]:
    """Give unsent tasks back at once after a failed send (rather than wait for the lease
    to run out); commits. Returns the ids released."""
    released = await uow.tasks.release(task_ids, owner=owner)
    await uow.commit()
    return released


def row_order(task: TaskOccurrence) -> tuple[datetime, int, str, str, int]:
    """Where a task's row sits in its message: by planned time, then patient, then kind.

    The planned time, not the due time: a snooze moves the due time while the task is still
    in its message, and its row must not jump under a nurse's thumb.
    """
    return (task.planned_at, task.stay_id, task.kind.value, task.rule_code, task.id)


def group_slots(
    tasks: Iterable[TaskOccurrence],
    zones: Mapping[int, ZoneInfo],
    *,
    slot_minutes: int = DEFAULT_SLOT_MINUTES,
) -> list[Slot]:
    """One Slot per ward per time slot of the ward's wall clock (boards.schedule.slot_of),
    and one per ward for all its late tasks; by slot start, then ward. Within a slot tasks
    run in `row_order`."""
    batches: dict[tuple[int, datetime | None], list[TaskOccurrence]] = defaultdict(list)
    starts: dict[tuple[int, datetime | None], datetime] = {}
    for task in tasks:
        start = slot_of(task.due_at, zones[task.ward_id], slot_minutes)
        key = (task.ward_id, None if task.late else start)
        batches[key].append(task)
        starts[key] = min(starts.get(key, start), start)
    slots = [
        Slot(
            ward_id=ward_id,
            start=starts[(ward_id, slot)],
            late=slot is None,
            tasks=tuple(sorted(items, key=row_order)),
        )
        for (ward_id, slot), items in batches.items()
    ]
    slots.sort(key=lambda s: (s.start, s.ward_id, not s.late))
    return slots


async def ward_zones(uow: UnitOfWork, ward_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    """The time zone of each of these wards, for `group_slots`."""
    return {w.id: ZoneInfo(w.timezone) for w in await uow.wards.many(list(set(ward_ids)))}


async def message_slot(
    uow: UnitOfWork,
    *,
    ward: Ward,
    chat_id: int,
    message_id: int,
    slot_minutes: int = DEFAULT_SLOT_MINUTES,
) -> Slot | None:
    """The slot a sent reminder message shows, rebuilt from the tasks recorded as sent in it
    (`mark_sent`), in their states now and in the order they were sent; only this ward's
    tasks. None if it carries none (any more: each snoozed one went out again elsewhere)."""
    carried = [t for t in await uow.tasks.of_message(chat_id, message_id) if t.ward_id == ward.id]
    if not carried:
        return None
    tz = ZoneInfo(ward.timezone)
    # The due time at sending is known for tasks not snoozed since (snoozing unsends them).
    unmoved = [t.due_at for t in carried if t.sent_at is not None]
    start = slot_of(min(unmoved or [t.planned_at for t in carried]), tz, slot_minutes)
    return Slot(
        ward_id=ward.id,
        start=start,
        late=any(t.late for t in carried),
        tasks=tuple(sorted(carried, key=row_order)),
    )


# --- closing tasks ----------------------------------------------------------------------------


async def task_of_ward(
    uow: UnitOfWork, *, actor: Actor, ward_id: int, task_id: int
) -> tuple[Ward, TaskOccurrence]:
    """The ward and task a button names, for an approved member of that ward.

    A non-member, an unknown ward or task, and a task of another ward get one and the same
    refusal: a forged button learns nothing, not even whether the task exists.
    """
    await require_member(uow, ward_id, actor.user_id)
    ward = await uow.wards.get(ward_id)
    task = await uow.tasks.get(task_id)
    if ward is None or task is None or task.ward_id != ward_id:
        raise Forbidden("err.not_member")
    return ward, task


async def _open_task(uow: UnitOfWork, actor: Actor, task_id: int) -> tuple[TaskOccurrence, Ward]:
    task = await uow.tasks.get(task_id)
    if task is None:
        raise NotFound("err.task_unknown")
    # Membership first: a non-member learns nothing about the task, not even its state.
    await require_member(uow, task.ward_id, actor.user_id)
    ward = await uow.wards.get(task.ward_id)
    if ward is None:
        raise NotFound("err.task_unknown")
    if not task.pending:
        raise _closed(task, ward)
    return task, ward


def _closed(task: TaskOccurrence, ward: Ward) -> Conflict:
    at = task.done_at or task.cancelled_at
    shown = "" if at is None else _local_hhmm(at, ZoneInfo(ward.timezone))
    return Conflict("err.task_closed", at=shown)


def _task_audit(task: TaskOccurrence) -> dict[str, Any]:
    return {
        "task": task.id,
        "text": task.text,
        "planned_at": task.planned_at.isoformat(),
        "due_at": task.due_at.isoformat(),
        "status": task.status.value,
    }


async def _stay_of(uow: UnitOfWork, task: TaskOccurrence) -> Stay:
    stay = await uow.stays.get(task.stay_id)
    if stay is None:  # a foreign key guarantees it
        raise LookupError(f"stay {task.stay_id} of task {task.id} does not exist")
    return stay


async def acknowledge(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor: Actor,
    task_id: int,
    outcome: TaskStatus | str,
    reason: str | None = None,
) -> Acknowledged:
    """A nurse of the task's ward marks it done, or skipped with a reason.

    A task already done, skipped or cancelled is a Conflict and nothing changes, also when
    two nurses press at the same moment: only one press is recorded and audited.
    """
    # The outcome comes from the bot's own buttons: anything else is a bug, not bad input.
    outcome = TaskStatus(outcome)
    if outcome not in (TaskStatus.DONE, TaskStatus.SKIPPED):
        raise ValueError(f"a task is acknowledged done or skipped, not {outcome}")
    task, ward = await _open_task(uow, actor, task_id)
    why = _clean(reason, limit=MAX_REASON)
    if outcome is TaskStatus.SKIPPED and why is None:
        raise BadInput("err.skip_reason")
    now = clock.now()
    closed = await uow.tasks.close(
        task.id,
        status=outcome,
        at=now,
        by=actor.user_id,
        reason=why if outcome is TaskStatus.SKIPPED else None,
    )
    if closed is None:
        current = await uow.tasks.get(task.id)
        raise _closed(current or task, ward)
    stay = await _stay_of(uow, closed)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        f"task:{outcome.value}",
        f"bed {stay.bed}",
        before=_task_audit(task),
        after={**_task_audit(closed), "reason": closed.skip_reason},
    )
    return Acknowledged(task=closed, stay=stay)


async def snooze(
    uow: UnitOfWork, clock: Clock, *, actor: Actor, task_id: int, minutes: int
) -> Acknowledged:
    """稍后提醒: the task is due again in `minutes` (1-240) and will be sent again then; its
    planned time stays, so the record shows both."""
    if not isinstance(minutes, int) or not 1 <= minutes <= SNOOZE_MAX_MINUTES:
        raise BadInput("err.snooze_minutes", min=1, max=SNOOZE_MAX_MINUTES)
    task, ward = await _open_task(uow, actor, task_id)
    now = clock.now()
    moved = await uow.tasks.snooze(task.id, due_at=now + timedelta(minutes=minutes))
    if moved is None:
        current = await uow.tasks.get(task.id)
        raise _closed(current or task, ward)
    stay = await _stay_of(uow, moved)
    await record_audit(
        uow,
        clock,
        actor,
        ward.id,
        "task:snooze",
        f"bed {stay.bed}",
        before=_task_audit(task),
        after=_task_audit(moved),
    )
    return Acknowledged(task=moved, stay=stay)


# --- escalation ----------------------------------------------------------------------------


async def due_for_escalation(
    uow: UnitOfWork, *, now: datetime, limit: int = _ESCALATION_LIMIT
) -> list[TaskOccurrence]:
    """Sent, still pending, not yet escalated tasks past their ward's escalation window.

    The window runs from the due time, or from the sending for a task sent late: a nurse
    gets the full window after a reminder she could not have seen earlier.
    """
    candidates = await uow.tasks.escalation_candidates(
        due_before=now - _ESCALATION_FLOOR, limit=limit
    )
    windows: dict[int, timedelta] = {}
    for ward_id in sorted({t.ward_id for t in candidates}):
        policy = await _policy_of(uow, ward_id)
        windows[ward_id] = timedelta(minutes=policy.escalation_minutes)
    return [
        t for t in candidates if max(t.due_at, t.sent_at or t.due_at) + windows[t.ward_id] <= now
    ]


async def mark_escalated(uow: UnitOfWork, *, task_ids: Sequence[int], at: datetime) -> list[int]:
    """Mark tasks escalated where nobody has yet, and commit; returns the ids this call
    marked. Send overdue notices for exactly those: of two instances, one gets each id."""
    marked = await uow.tasks.mark_escalated(task_ids, at=at)
    await uow.commit()
    return marked


# --- what /tasks and the board show --------------------------------------------------------


def _overdue(task: TaskOccurrence, policy: WardPolicy, now: datetime) -> bool:
    return task.escalated_at is not None or policy.overdue_at(task.due_at) <= now


def _summary(
    tasks: Sequence[TaskOccurrence], policy: WardPolicy, tz: ZoneInfo, now: datetime
) -> ReminderSummary:
    due = [t for t in tasks if t.due_at <= now]
    later = [t for t in tasks if t.due_at > now]
    next_slot = slot_of(min(t.due_at for t in later), tz) if later else None
    return ReminderSummary(
        next_slot=next_slot,
        next_count=sum(1 for t in later if slot_of(t.due_at, tz) == next_slot),
        due_count=len(due),
        overdue_count=sum(1 for t in due if _overdue(t, policy, now)),
    )


async def _open_tasks(
    uow: UnitOfWork, ward: Ward, until: datetime
) -> tuple[list[TaskOccurrence], dict[int, Stay]]:
    stays = {s.id: s for s in await uow.stays.active(ward.id)}
    tasks = await uow.tasks.open_of_ward(ward.id, due_before=until)
    return [t for t in tasks if t.stay_id in stays], stays


async def board_summary(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> ReminderSummary:
    """The whiteboard's reminder area: next slot and its task count, due and overdue."""
    now = clock.now()
    tasks, _ = await _open_tasks(uow, ward, now + timedelta(days=1))
    policy = await _policy_of(uow, ward.id)
    return _summary(tasks, policy, ZoneInfo(ward.timezone), now)


async def tasks_view(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> TasksView:
    """`/tasks`: the ward's open tasks due now (overdue flagged), and those still to come
    in the current shift, with their patients; discharged patients' tasks are left out."""
    now = clock.now()
    tz = ZoneInfo(ward.timezone)
    policy = await _policy_of(uow, ward.id)
    _, _, shift_end = policy.shifts.span_of(now, tz)
    tasks, stays = await _open_tasks(uow, ward, max(shift_end, now + timedelta(days=1)))
    rows = [DueTask(t, stays[t.stay_id], _overdue(t, policy, now)) for t in tasks]
    return TasksView(
        ward=ward,
        now=now,
        due=tuple(r for r in rows if r.task.due_at <= now),
        upcoming=tuple(r for r in rows if now < r.task.due_at < shift_end),
        summary=_summary(tasks, policy, tz, now),
    )
