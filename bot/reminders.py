"""Reminders in the ward group: the dispatcher tick, slot messages with buttons, escalation."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import os
import re
import secrets
import socket
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from telegram import Bot, Message
from telegram.error import ChatMigrated, TelegramError

from boards import queries, tasks
from boards.errors import Forbidden
from boards.i18n import Texts, texts
from boards.model import GroupProblem, Stay, TaskOccurrence, TaskStatus, Ward
from boards.text import is_number
from boards.views.slot import slot_view, task_who
from boards.views.telegram_html import slot_html
from bot import group_state
from bot.handover import HandoverJob
from bot.logsafe import log_failure
from bot.ratelimit import send_urgent
from bot.runtime import Runtime, WardContext
from bot.transaction import retried
from bot.turn import Turn

__all__ = [
    "INSTANCE",
    "Dispatcher",
    "dispatch_tick",
    "on_task_button",
]

log = logging.getLogger(__name__)

# Who holds a lease: one name per running bot process, so two instances never confuse theirs.
INSTANCE = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
TASKS_PER_MESSAGE = 20  # three buttons a task stays well inside Telegram's keyboard limit
SNOOZE_MINUTES = 15
_MATERIALISE_EVERY = timedelta(minutes=10)
_SKIP_REASONS = ("refused", "away", "fasting", "held", "other")


class Dispatcher:
    """Claims due tasks, sends one message per ward per slot, records delivery, escalates."""

    def __init__(self, runtime: Runtime, *, owner: str = INSTANCE) -> None:
        self.runtime = runtime
        # The lease holder's name; one per process unless told otherwise (tests run two).
        self.owner = owner
        self._materialised: datetime | None = None
        # The shift handover rides on this tick: one job, one clock, counted the same way.
        self.handovers = HandoverJob(runtime, owner=owner)
        # Ticks finished, well or not: what "the next tick has happened" means to a test or a
        # health check; and when the last one finished (monotonic seconds), for /healthz.
        self.runs = 0
        self.last_run: float | None = None
        # A tick in progress; ticks that found one and returned at once.
        self.ticking = False
        self.skipped = 0

    async def run_once(self, bot: Bot) -> None:
        now = self.runtime.clock.now()
        # Once a process has topped the schedule up, what is due now exists already: send it
        # first, top up after. Only a fresh process tops up first (the bot may have been
        # down past the horizon).
        if self._materialised is None:
            await self._materialise(now)
        # Delivered as claimed, not after the whole round: the first ward's message leaves
        # while the rest is still being claimed. A claim takes whole wards (the one its
        # limit cut is completed in the same claim), so one slot is one message.
        deliveries: list[asyncio.Task[None]] = []
        try:
            await self._claim_and_deliver(bot, now, deliveries)
        except Exception:
            # A claim failed (the database restarting, say): the sends under way finish and
            # are recorded (`retried` waits for the database), or they would go out twice.
            await asyncio.gather(*deliveries, return_exceptions=True)
            raise
        except BaseException:
            # Stopped (shutdown, a cancelled tick): no send goes on unseen; what was sent
            # and not recorded is sent again by the next claimer once the lease is over.
            for delivery in deliveries:
                if not delivery.done() and not delivery.cancelling():
                    delivery.cancel()
            if deliveries:
                # Their transactions end (rolled back) before the tick does.
                await asyncio.wait(deliveries)
            raise
        await self._escalate(bot, now)
        await self.handovers.run_once(bot, now)
        if self._materialised is not None and now - self._materialised >= _MATERIALISE_EVERY:
            await self._materialise(now)

    async def _claim_and_deliver(
        self, bot: Bot, now: datetime, deliveries: list[asyncio.Task[None]]
    ) -> None:
        limit = tasks.CLAIM_LIMIT
        while True:
            # Each lease is committed as its block ends: visible to other instances before
            # anything is sent.
            async with self.runtime.transaction() as uow:
                batch = await tasks.claim_due(uow, now=now, owner=self.owner, limit=limit)
            if not batch:
                break
            limit = tasks.next_claim_limit(limit)
            deliveries.append(asyncio.create_task(self._deliver(bot, batch)))
        await _all(deliveries)

    async def _materialise(self, now: datetime) -> None:
        async with self.runtime.transaction() as uow:
            await tasks.materialise(uow, self.runtime.clock)
        self._materialised = now

    async def _deliver(self, bot: Bot, claimed: Sequence[TaskOccurrence]) -> None:
        async with self.runtime.uow() as uow:
            zones = await tasks.ward_zones(uow, {t.ward_id for t in claimed})
            wards = await queries.wards(uow, zones)
            stays = await queries.stays(uow, {t.stay_id for t in claimed})
        by_ward: dict[int, list[tasks.Slot]] = defaultdict(list)
        for slot in tasks.group_slots(claimed, zones):
            by_ward[slot.ward_id].append(slot)
        # The wards side by side, each ward's messages in order: the rate limiter paces them
        # to Telegram's windows (30 a second, 20 a minute per group), reminders first.
        await _all(
            [
                asyncio.create_task(self._deliver_ward(bot, wards[ward_id], slots, stays))
                for ward_id, slots in by_ward.items()
            ]
        )
        # The board's reminder area (next slot, due count) has moved on with these.
        for ward_id in wards:
            self.runtime.publisher.request(ward_id)

    async def _deliver_ward(
        self, bot: Bot, ward: Ward, slots: Sequence[tasks.Slot], stays: dict[int, Stay]
    ) -> None:
        for slot in slots:
            for start in range(0, len(slot.tasks), TASKS_PER_MESSAGE):
                chunk = slot.tasks[start : start + TASKS_PER_MESSAGE]
                await self._send(bot, ward, slot, chunk, stays)

    async def _send(
        self,
        bot: Bot,
        ward: Ward,
        slot: tasks.Slot,
        chunk: Sequence[TaskOccurrence],
        stays: dict[int, Stay],
    ) -> None:
        ids = [t.id for t in chunk]
        if ward.group_chat_id is None:
            # Nowhere to send: give the tasks back; /tasks still lists them.
            async with self.runtime.transaction() as uow:
                await tasks.release(uow, task_ids=ids, owner=self.owner)
            return
        t = texts(ward.locale, ward.timezone)
        text, keyboard = render_slot(t, slot.start, slot.late, chunk, stays)
        try:
            message = await send_urgent(bot, ward.group_chat_id, text, **keyboard_kwargs(keyboard))
        except TelegramError as exc:
            if isinstance(exc, ChatMigrated) and (moved := await self._follow(bot, ward, exc)):
                # Still leased to this dispatcher: sent to the new chat now, recorded once.
                await self._send(bot, moved, slot, chunk, stays)
                return
            # Removed from the group: the head nurse is told once, and the group is left
            # alone (no claims) until the bot is back; the tasks stay due meanwhile.
            await self._note_failure(bot, ward, exc)
            log.warning("reminder for ward %s not delivered; will retry", ward.id)
            async with self.runtime.transaction() as uow:
                await tasks.release(uow, task_ids=ids, owner=self.owner)
            return
        # Recorded after the send, in a transaction of its own, tried again while the database
        # is away: unrecorded, it would go out again after the lease (marking is idempotent).
        sent_at = self.runtime.clock.now()
        await retried(
            self.runtime.uow_factory,
            lambda uow: tasks.mark_sent(
                uow,
                task_ids=ids,
                chat_id=message.chat_id,
                message_id=message.message_id,
                sent_at=sent_at,
                owner=self.owner,
            ),
            what="sent reminder",
        )

    async def _escalate(self, bot: Bot, now: datetime) -> None:
        async with self.runtime.transaction() as uow:
            overdue = await tasks.due_for_escalation(uow, now=now)
            if overdue:
                # A group the bot was removed from gets its notices once the bot is back.
                gone = {
                    w.id
                    for w in (await queries.wards(uow, {t.ward_id for t in overdue})).values()
                    if w.group_problem == GroupProblem.REMOVED
                }
                overdue = [t for t in overdue if t.ward_id not in gone]
            # Marked, and committed as the block ends, before sending: one notice at most,
            # never two (the board keeps showing the task as overdue whatever happens to
            # this message).
            ids = [t.id for t in overdue]
            marked = set(await tasks.mark_escalated(uow, task_ids=ids, at=now)) if ids else set()
        chosen = [t for t in overdue if t.id in marked]
        if not chosen:
            return
        async with self.runtime.uow() as uow:
            wards = await queries.wards(uow, {t.ward_id for t in chosen})
            stays = await queries.stays(uow, {t.stay_id for t in chosen})
        by_ward: dict[int, list[TaskOccurrence]] = defaultdict(list)
        for task in chosen:
            by_ward[task.ward_id].append(task)
        for ward_id in by_ward:
            # The board counts these as overdue now: show it without waiting for a change.
            self.runtime.publisher.request(ward_id)
        for ward_id, items in by_ward.items():
            ward = wards[ward_id]
            if ward.group_chat_id is None:
                continue
            t = texts(ward.locale, ward.timezone)
            lines = [t("remind.overdue_title", n=len(items))]
            for task in sorted(items, key=lambda x: x.due_at):
                lines.append(
                    t(
                        "remind.overdue_item",
                        who=html.escape(task_who(t, stays, task)),
                        text=html.escape(task.text),
                        due=t.hm(task.due_at),
                    )
                )
            try:
                await send_urgent(bot, ward.group_chat_id, "\n".join(lines))
            except TelegramError as exc:
                if isinstance(exc, ChatMigrated):
                    await self._notice_moved(bot, ward, exc, "\n".join(lines))
                    continue
                await self._note_failure(bot, ward, exc)
                log.warning("overdue notice for ward %s not delivered", ward_id)

    async def _follow(self, bot: Bot, ward: Ward, error: ChatMigrated) -> Ward | None:
        """The group became a supergroup: the ward follows; the ward in its new chat."""
        assert ward.group_chat_id is not None
        moved = await group_state.follow_migration(
            self.runtime.uow_factory,
            self.runtime.clock,
            old_chat_id=ward.group_chat_id,
            new_chat_id=error.new_chat_id,
            actor=group_state.bot_actor(bot),
        )
        if moved is None or moved.group_chat_id in (None, ward.group_chat_id):
            return None
        # The board follows too; it is posted (and pinned) in the new chat.
        self.runtime.publisher.request(moved.id)
        return moved

    async def _notice_moved(self, bot: Bot, ward: Ward, error: ChatMigrated, text: str) -> None:
        moved = await self._follow(bot, ward, error)
        if moved is None or moved.group_chat_id is None:
            log.warning("overdue notice for ward %s not delivered", ward.id)
            return
        try:
            await bot.send_message(moved.group_chat_id, text)
        except TelegramError as exc:
            await self._note_failure(bot, moved, exc)
            log.warning("overdue notice for ward %s not delivered", ward.id)

    async def _note_failure(self, bot: Bot, ward: Ward, error: TelegramError) -> None:
        await group_state.note_failure(
            self.runtime.uow_factory, self.runtime.clock, bot, ward=ward, error=error
        )


async def _all(work: Sequence[asyncio.Task[None]]) -> None:
    """Wait for every one; then raise the first failure (none is left running unseen)."""
    results = await asyncio.gather(*work, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def render_slot(
    t: Texts,
    start: datetime,
    late: bool,
    chunk: Sequence[TaskOccurrence],
    stays: dict[int, Stay],
    names: dict[int, str] | None = None,
    *,
    choosing: int | None = None,
) -> tuple[str, str]:
    """The slot message: a line and a row of buttons per task; closed tasks keep a row
    (without actions). The task `choosing` a reason for ✖ has the reasons and a way back
    in place of its row; every other row stays as it is.

    The keyboard comes as the JSON Telegram reads (an InlineKeyboardMarkup's), to be sent
    with `keyboard_kwargs`: at 08:00 a round is tens of thousands of buttons, and PTB's
    button objects, built and then turned back into dicts to be sent, were most of the
    CPU a round took."""
    view = slot_view(t, start, late, chunk, stays, names)
    snooze, skip = t("btn.snooze"), t("btn.skip_task")
    rows: list[list[dict[str, str]]] = []
    for row in view.rows:
        task, bed = row.task, row.bed
        # Every button names its ward: the press is authorised against it before anything
        # else. At most "t:" + two 19-digit ids + ":r:fasting", well inside Telegram's 64
        # bytes.
        data = f"t:{task.ward_id}:{task.id}:"
        if row.pending and task.id == choosing:
            rows += [[_button(t(f"skip.{code}"), f"{data}r:{code}")] for code in _SKIP_REASONS]
            rows.append([_button(t("btn.skip_back", bed=bed), f"{data}b")])
        elif row.pending:
            rows.append(
                [
                    _button(f"✅ {bed}", f"{data}d"),
                    _button(snooze, f"{data}z"),
                    _button(skip, f"{data}k"),
                ]
            )
        else:
            rows.append([_button(f"{row.mark} {bed}", f"{data}i")])
    return slot_html(view), json.dumps({"inline_keyboard": rows})


def _button(label: str, data: str) -> dict[str, str]:
    return {"text": label, "callback_data": data}


def keyboard_kwargs(keyboard: str) -> dict[str, Any]:
    """What to pass a send or an edit for `render_slot`'s keyboard: the JSON as it is, in
    the request's `reply_markup` (PTB sends a string parameter unchanged). A new dict each
    time: PTB adds its rate-limit arguments to it."""
    return {"api_kwargs": {"reply_markup": keyboard}}


async def dispatch_tick(context: WardContext) -> None:
    """The one scheduler job: runs every few seconds through PTB's JobQueue."""
    dispatcher = context.runtime.extras.setdefault("dispatcher", Dispatcher(context.runtime))
    assert isinstance(dispatcher, Dispatcher)
    if dispatcher.ticking:
        # The last tick is still sending (an 08:00 round outlasts the interval): it goes on
        # with what falls due meanwhile, and this one has nothing to add.
        dispatcher.skipped += 1
        return
    dispatcher.ticking = True
    try:
        await dispatcher.run_once(context.bot)
    except Exception:
        # The next tick tries again; the database still holds every task.
        log_failure(log, "reminder dispatch failed")
    finally:
        dispatcher.ticking = False
        dispatcher.runs += 1
        dispatcher.last_run = time.monotonic()


# --- buttons ------------------------------------------------------------------------------


_PRESS = re.compile(r"t:(?:([0-9]{1,10}):)?([0-9]{1,10}):(d|z|k|b|i|r:[a-z]{1,16})")


async def on_task_button(tn: Turn, data: str) -> None:
    """`t:<ward>:<task>:<action>`: d done, z snooze, k not given (choose a reason), b back
    from the reasons, r:<reason>, i info (a closed task). Only an approved member of the
    named ward, for a task of that ward, may press; anyone else gets an alert and nothing
    changes, nothing is edited."""
    query = tn.update.callback_query
    assert query is not None
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    pressed = _PRESS.fullmatch(data)
    try:
        if pressed is None or not all(is_number(n) for n in pressed.groups()[:2] if n):
            raise Forbidden("err.not_member")
        raw_ward, raw_task, action = pressed.groups()
        task_id = int(raw_task)
        if raw_ward is None:
            # A button drawn before buttons named their ward: it stands for the task's own
            # ward, so a member of that ward can still use it and nobody else can.
            old = await queries.task(tn.uow, task_id=task_id)
            raw_ward = str(old.ward_id if old is not None else 0)
        ward, task = await tasks.task_of_ward(
            tn.uow, actor=tn.actor, ward_id=int(raw_ward), task_id=task_id
        )
    except Forbidden as refusal:
        # On the press only: a stranger in the group gets no message there to spam it with.
        await query.answer(tn.explain(refusal)[:190], show_alert=True)
        return
    tn.use_ward(ward)
    here = (message.chat.id, message.message_id)
    if action in ("i", "k", "b"):
        # Nothing is recorded: ✖ only opens this task's reasons (if it is still open), back
        # closes them; the rest of the message stays as it is.
        await query.answer()
        if action != "i":
            # Nothing to keep, but end this turn's transaction: on SQLite it holds the one
            # write lock, which the drawing's own unit of work would wait for.
            await tn.commit()
            choosing = task.id if action == "k" and task.pending else None
            await _refresh_message(tn, ward, *here, choosing=choosing)
        return
    clock = tn.runtime.clock
    if action == "d":
        done = await tasks.acknowledge(
            tn.uow, clock, actor=tn.actor, task_id=task.id, outcome=TaskStatus.DONE
        )
    elif action == "z":
        done = await tasks.snooze(
            tn.uow, clock, actor=tn.actor, task_id=task.id, minutes=SNOOZE_MINUTES
        )
    else:
        reason = action.removeprefix("r:")
        if reason not in _SKIP_REASONS:
            await query.answer()
            return
        done = await tasks.acknowledge(
            tn.uow,
            clock,
            actor=tn.actor,
            task_id=task.id,
            outcome=TaskStatus.SKIPPED,
            reason=tn.t(f"skip.{reason}"),
        )
    tn.changed(ward.id)
    await tn.commit()
    await query.answer(tn.t("remind.recorded"))
    await _refresh_message(tn, ward, *here)
    # Pressed on an older message of a task sent again since (after a snooze): the message
    # that carries it now shows the change too.
    carrier = (done.task.message_chat_id, done.task.message_id)
    if carrier != here and carrier[0] is not None and carrier[1] is not None:
        await _refresh_message(tn, ward, carrier[0], carrier[1])


async def _refresh_message(
    tn: Turn, ward: Ward, chat_id: int, message_id: int, *, choosing: int | None = None
) -> None:
    """Draw a sent reminder message again from the tasks it carries (never from what its
    keyboard shows now), with `choosing`'s reasons open if given."""
    async with tn.runtime.uow() as uow:
        slot = await tasks.message_slot(uow, ward=ward, chat_id=chat_id, message_id=message_id)
        if slot is None:
            return
        stays = await queries.stays(uow, {t.stay_id for t in slot.tasks})
        members = await queries.member_names(uow, ward_id=ward.id)
    t = texts(ward.locale, ward.timezone)
    text, keyboard = render_slot(
        t, slot.start, slot.late, slot.tasks, stays, members, choosing=choosing
    )
    try:
        await tn.context.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, **keyboard_kwargs(keyboard)
        )
    except TelegramError:
        log.info("reminder message %s could not be refreshed", message_id)
