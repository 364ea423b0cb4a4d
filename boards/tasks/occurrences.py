"""Orders, reminders and lines turned into task occurrences up to the horizon, kept in step."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from boards.i18n import is_chinese, pick
from boards.lines import DEFAULT_LINES, LineKind
from boards.model import (
    MedicationOrder,
    PatientLine,
    Reminder,
    Stay,
    TaskKind,
    TaskOccurrence,
    Ward,
)
from boards.ports import Clock, UnitOfWork
from boards.schedule import (
    Frequency,
    MedicationPolicy,
    ScheduleError,
    WardPolicy,
    default_medication_policy,
    line_care_occurrences,
    medication_occurrences,
)
from boards.tasks._common import policy_of

__all__ = ["HORIZON", "Rewrite", "materialise", "sync_line_care"]

# Tasks exist this far ahead: a restart, a long outage of the tick or a slow top-up never
# leaves a dose without its row, and the board can show tomorrow morning's round.
HORIZON = timedelta(hours=48)
# A source is topped up again once its tasks reach less than HORIZON - this ahead: the
# tick may call materialise every minute without rewriting thousands of horizon rows.
_TOPUP_STEP = timedelta(hours=1)
# Stays that ended this far back are checked for pending tasks planned after the patient
# left; older leftovers were cancelled by earlier top-ups (and the claim skips them anyway).
_ENDED_LOOKBACK = HORIZON + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Rewrite:
    added: int
    cancelled: tuple[TaskOccurrence, ...]


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


def order_source(order: MedicationOrder, policy: WardPolicy, tz: ZoneInfo) -> _Source:
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


def reminder_source(reminder: Reminder, tz: ZoneInfo) -> _Source:
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
    zh = is_chinese(locale)
    name = line.code if kind is None else pick(locale, kind.name_zh, kind.abbr)
    texts = {
        r.code: f"{name}：{pick(locale, r.name_zh, r.name_en)}" if zh else f"{name}: {r.name_en}"
        for r in rules
    }

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
    found = [order_source(o, policy, tz) for o in state.orders if o.active(now)]
    found += [reminder_source(r, tz) for r in state.reminders if r.active(now)]
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


async def top_up(
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


async def sync_ward(
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
    result = await top_up(uow, ward, policy, sources, now=now, horizon=horizon, rewrite=rewrite)
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
        policy = await policy_of(uow, ward.id)
        result = await sync_ward(uow, ward, policy, now=now, horizon=horizon)
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
    policy = await policy_of(uow, ward.id)
    return await sync_ward(
        uow,
        ward,
        policy,
        now=clock.now(),
        horizon=horizon,
        kinds=frozenset({TaskKind.LINE_CARE}),
    )
