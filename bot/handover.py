"""The shift handover in Telegram: posted to the group at each shift start, 接班, /handover."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from datetime import datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, NetworkError, TelegramError

from boards import handover
from boards.errors import Conflict, Forbidden
from boards.i18n import Texts, texts
from boards.model import GroupProblem, Handover, Ward
from boards.schedule import WardPolicy
from boards.tasks._common import policy_of
from boards.text import is_number
from bot import group_state
from bot.logsafe import log_failure
from bot.runtime import Runtime
from bot.transaction import retried
from bot.turn import Turn

__all__ = ["HANDOVER_COMMANDS", "HandoverJob", "on_handover_button"]

log = logging.getLogger(__name__)

# How long an instance may take to post a claimed handover before another may.
_LEASE = timedelta(minutes=5)
# The shortest take-over window a ward can set: no reminder candidate is younger.
_MIN_WINDOW = timedelta(minutes=1)
_PRESS = re.compile(r"h:([0-9]{1,10}):([0-9]{1,10})")
# Seconds between tries of a report's later part (the first one waits for the next tick).
_PART_RETRIES = (1.0, 2.0, 4.0)


def _markup(t: Texts, ward_id: int, handover_id: int) -> InlineKeyboardMarkup:
    # Names its ward, like every button: the press is authorised against it first.
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("btn.take_over"), callback_data=f"h:{ward_id}:{handover_id}")]]
    )


class HandoverJob:
    """Runs inside the dispatcher tick: posts handovers that are due, reminds head nurses.

    Checked once a clock minute (a shift starts on a minute), so a fast tick costs nothing.
    """

    def __init__(self, runtime: Runtime, *, owner: str) -> None:
        self.runtime = runtime
        self.owner = owner
        self._checked: datetime | None = None
        # (ward, shift start) this process knows to be posted: no claim attempt each minute.
        self._posted: set[tuple[int, datetime]] = set()

    async def run_once(self, bot: Bot, now: datetime) -> None:
        minute = now.replace(second=0, microsecond=0)
        if self._checked == minute:
            return
        self._checked = minute
        self._posted = {key for key in self._posted if key[1] > now - timedelta(days=1)}
        async with self.runtime.uow() as uow:
            wards = [
                w for w in await uow.wards.with_group() if w.group_problem != GroupProblem.REMOVED
            ]
        for ward in wards:
            try:
                await self._post(bot, ward, now)
            except Exception:
                log_failure(log, "handover for ward %s not posted", ward.id)
        await self._remind(bot, now)

    async def _post(self, bot: Bot, ward: Ward, now: datetime) -> None:
        async with self.runtime.uow() as uow:
            policy = await policy_of(uow, ward.id)
            span = await handover.due_handover(uow, ward=ward, policy=policy, now=now)
            if span is None or (ward.id, span.start) in self._posted:
                return
            # Claimed in its own transaction, then sent: a second instance finds the row.
            claimed = await uow.handovers.claim(
                ward_id=ward.id,
                shift_code=span.shift.code,
                shift_start=span.start,
                shift_end=span.end,
                owner=self.owner,
                now=now,
                lease_until=now + _LEASE,
            )
            await uow.commit()
        if claimed is None or ward.group_chat_id is None:
            # Posted already (before a restart, or by another instance), or being posted.
            return
        t = texts(ward.locale, ward.timezone)
        try:
            async with self.runtime.uow() as uow:
                report = await handover.handover_report(
                    uow, self.runtime.clock, ward=ward, span=span, locale=t.locale
                )
                by = await handover.handed_over_by(uow, ward=ward, span=span)
        except Exception:
            # The database went away (a restart): nothing sent, so the claim is given back
            # once it is back, for the next tick to post rather than wait out the lease.
            await retried(
                self.runtime.uow_factory,
                lambda uow: uow.handovers.release(claimed.id, owner=self.owner),
                what="handover",
            )
            raise
        messages = handover.render_report(report, t, private=False)
        messages[-1] += "\n\n" + handover.waiting_line(t)
        sent: list[int] = []
        try:
            for number, text in enumerate(messages, start=1):
                markup = _markup(t, ward.id, claimed.id) if number == len(messages) else None
                # A part after the first is tried again on a passing failure (a 5xx, a
                # timeout, a dropped connection): the report is marked posted with what went
                # out, and a missing last part would lose the 接班 button.
                for wait in (*_PART_RETRIES, None) if sent else (None,):
                    try:
                        message = await bot.send_message(
                            ward.group_chat_id,
                            text,
                            parse_mode=ParseMode.HTML,
                            reply_markup=markup,
                        )
                        break
                    except NetworkError as exc:
                        if wait is None or isinstance(exc, BadRequest):
                            raise
                        await asyncio.sleep(wait)
                sent.append(message.message_id)
        except TelegramError as exc:
            if not sent:
                # Nothing went out: the next tick tries again (the group may be back).
                async with self.runtime.uow() as uow:
                    await uow.handovers.release(claimed.id, owner=self.owner)
                    await uow.commit()
            if isinstance(exc, ChatMigrated):
                # The group became a supergroup: the ward follows, and the next tick posts
                # there (the board follows too).
                moved = await group_state.follow_migration(
                    self.runtime.uow_factory,
                    self.runtime.clock,
                    old_chat_id=ward.group_chat_id,
                    new_chat_id=exc.new_chat_id,
                    actor=group_state.bot_actor(bot),
                )
                if moved is not None:
                    self.runtime.publisher.request(moved.id)
                self._checked = None
            else:
                await group_state.note_failure(
                    self.runtime.uow_factory, self.runtime.clock, bot, ward=ward, error=exc
                )
            log.warning("handover for ward %s not delivered", ward.id)
            if not sent:
                return
        chat_id, at = ward.group_chat_id, self.runtime.clock.now()
        # Tried again while the database is away: unrecorded, it would be posted twice.
        await retried(
            self.runtime.uow_factory,
            lambda uow: uow.handovers.mark_posted(
                claimed.id,
                owner=self.owner,
                chat_id=chat_id,
                message_ids=sent,
                at=at,
                handed_over_by=by,
            ),
            what="handover",
        )
        self._posted.add((ward.id, span.start))

    async def _remind(self, bot: Bot, now: datetime) -> None:
        """Not taken over within the ward's window: its head nurses are told, once."""
        async with self.runtime.uow() as uow:
            waiting = await uow.handovers.awaiting(posted_before=now - _MIN_WINDOW)
            due: list[tuple[Handover, Ward, WardPolicy, list[tuple[int, str | None]]]] = []
            for item in waiting:
                ward = await uow.wards.get(item.ward_id)
                if ward is None or item.posted_at is None:
                    continue
                policy = await policy_of(uow, ward.id)
                if item.posted_at + timedelta(minutes=policy.handover_minutes) > now:
                    continue
                # Marked before sending: one reminder at most, never two.
                if not await uow.handovers.mark_reminded(item.id, at=now):
                    continue
                heads = []
                for user_id in await handover.head_nurses(uow, ward=ward):
                    prefs = await uow.users.get(user_id)
                    heads.append((user_id, prefs.locale if prefs is not None else None))
                due.append((item, ward, policy, heads))
            await uow.commit()
        for item, ward, policy, heads in due:
            for user_id, locale in heads:
                t = texts(locale or ward.locale, ward.timezone)
                text = t(
                    "handover.reminder",
                    ward=html.escape(ward.name),
                    shift=_shift_name(t, policy, item.shift_code),
                    start=t.hm(item.shift_start),
                    end=t.hm(item.shift_end),
                    minutes=policy.handover_minutes,
                )
                try:
                    await bot.send_message(user_id, text, parse_mode=ParseMode.HTML)
                except TelegramError:
                    log.info("handover reminder for ward %s not delivered", ward.id)


def _shift_name(t: Texts, policy: WardPolicy, code: str) -> str:
    # The shift as the policy names it now (its code is what the row keeps).
    for shift in policy.shifts.shifts:
        if shift.code == code:
            return html.escape(t.pick(shift.name_zh, shift.name_en))
    return html.escape(code)


async def on_handover_button(tn: Turn, data: str) -> None:
    """`h:<ward>:<handover>`: 接班. Only an approved member of that ward may press it; the
    message then shows who handed over and who took over, and the button is gone."""
    query = tn.update.callback_query
    assert query is not None
    message = query.message
    pressed = _PRESS.fullmatch(data)
    try:
        if (
            pressed is None
            or not isinstance(message, Message)
            or not all(is_number(n) for n in pressed.groups())
        ):
            raise Forbidden("err.not_member")
        ward, taken = await handover.take_over(
            tn.uow,
            tn.runtime.clock,
            actor=tn.actor,
            ward_id=int(pressed.group(1)),
            handover_id=int(pressed.group(2)),
        )
    except (Forbidden, Conflict) as refusal:
        await query.answer(tn.explain(refusal)[:190], show_alert=True)
        return
    members = {m.user_id: m.display_name for m in await tn.uow.members.of_ward(ward.id)}
    await tn.commit()
    t = texts(ward.locale, ward.timezone)
    await query.answer(t("handover.taken_ok"))
    by = members.get(taken.handed_over_by or 0)
    line = handover.taken_line(
        t,
        by=by,
        to=members.get(tn.user_id, tn.actor.name),
        at_hm=t.hm(taken.taken_at or tn.runtime.clock.now()),
    )
    try:
        shown = message.text_html
    except (TypeError, ValueError):
        shown = html.escape(message.text or "")
    waiting = handover.waiting_line(t)
    text = shown.replace(waiting, line) if waiting in shown else f"{shown}\n\n{line}"
    try:
        await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=None)
    except TelegramError:
        log.info("handover message %s could not be edited", message.message_id)


async def _handover(tn: Turn, args: list[str]) -> None:
    """`/handover`: the current shift so far; `/handover last` (上一班): the one that ended.
    Private, with full names, the diagnosis and allergies."""
    ward, _ = await tn.ward()
    policy = await policy_of(tn.uow, ward.id)
    now = tn.runtime.clock.now()
    if args and args[0].lower() in ("last", "prev", "上一班", "上班"):
        span = handover.last_span(policy, ward, now)
    else:
        span = handover.current_span(policy, ward, now)
    report = await handover.handover_report(
        tn.uow, tn.runtime.clock, ward=ward, span=span, locale=tn.t.locale
    )
    for text in handover.render_report(report, tn.t, private=True):
        await tn.reply(text)


HANDOVER_COMMANDS = {"handover": _handover}
