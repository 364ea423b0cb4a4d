"""Keeps each ward group's pinned whiteboard message current, coalescing bursts of changes."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import date
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from boards import bedside, quality, tasks, transfers
from boards.board import render_board
from boards.board_data import BoardData, TransferLine
from boards.i18n import texts
from boards.model import GroupProblem, Ward
from boards.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot import group_state
from bot.logsafe import log_failure

__all__ = ["BoardPublisher", "load_board"]

log = logging.getLogger(__name__)


async def load_board(uow: UnitOfWork, clock: Clock, *, ward: Ward) -> BoardData:
    """Everything the board shows: today's lists, bedside tags and lines, the reminder area,
    pending transfers both ways."""
    data = await bedside.board_with_bedside(uow, clock, ward=ward)
    policy = await tasks.get_policy(uow, ward=ward)
    arrivals = [
        TransferLine(a.transfer.bed_wanted or "?", a.stay.name, a.from_ward.name)
        for a in await transfers.pending_arrivals(uow, ward=ward)
    ]
    offers = await uow.transfers.pending_from(ward.id)
    stays = {s.id: s for s in data.active}
    targets = {w.id: w.name for w in await uow.wards.many([o.to_ward_id for o in offers])}
    outgoing = [
        TransferLine(stays[o.stay_id].bed, stays[o.stay_id].name, targets.get(o.to_ward_id, "?"))
        for o in offers
        if o.stay_id in stays
    ]
    return dataclasses.replace(
        data,
        reminders=await tasks.board_summary(uow, clock, ward=ward),
        group_notes=policy.group_notes,
        arrivals=tuple(arrivals),
        outgoing=tuple(outgoing),
        safety=tuple(
            (c.types[0].value, c.days) for c in await quality.safety_days(uow, clock, ward=ward)
        ),
    )


class BoardPublisher:
    """One pending refresh per ward: the first change schedules it, later ones ride along."""

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        bot: Callable[[], Bot],
        delay: float,
        min_interval: float,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._bot = bot
        self._delay = delay
        self._min_interval = min_interval
        self._pending: dict[int, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._locks: dict[int, asyncio.Lock] = {}
        self._last: dict[int, float] = {}
        self._shown_day: dict[int, date] = {}
        self.edits = 0

    def request(self, ward_id: int) -> None:
        if ward_id in self._pending:
            return
        task = asyncio.get_running_loop().create_task(self._later(ward_id), name="board")
        self._pending[ward_id] = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _later(self, ward_id: int) -> None:
        wait = self._delay
        last = self._last.get(ward_id)
        if last is not None:
            wait = max(wait, last + self._min_interval - time.monotonic())
        try:
            await asyncio.sleep(wait)
        finally:
            # Changes committed from here on need a fresh refresh of their own.
            self._pending.pop(ward_id, None)
        try:
            await self.publish(ward_id)
        except Exception:
            log_failure(log, "board refresh failed for ward %s", ward_id)

    async def publish(self, ward_id: int) -> None:
        """Render the group copy and edit it in place; re-post and re-pin when it is gone."""
        lock = self._locks.setdefault(ward_id, asyncio.Lock())
        async with lock:
            await self._publish(ward_id)

    async def _publish(self, ward_id: int) -> None:
        async with self._uow() as uow:
            ward = await uow.wards.get(ward_id)
            if ward is None or ward.group_chat_id is None:
                return
            if ward.group_problem == GroupProblem.REMOVED:
                # Nowhere to post: the board is posted afresh once the bot is back.
                return
            data = await load_board(uow, self._clock, ward=ward)
        t = texts(ward.locale, ward.timezone)
        text = render_board(data, t, private=False)
        bot = self._bot()
        self._last[ward_id] = time.monotonic()
        self._shown_day[ward_id] = data.now.astimezone(ZoneInfo(ward.timezone)).date()
        if ward.board_message_id is not None:
            try:
                await bot.edit_message_text(
                    text,
                    chat_id=ward.group_chat_id,
                    message_id=ward.board_message_id,
                    parse_mode=ParseMode.HTML,
                )
                self.edits += 1
                return
            except RetryAfter as exc:
                # Come back when Telegram allows; the board is eventually right.
                await asyncio.sleep(
                    float(
                        exc.retry_after
                        if isinstance(exc.retry_after, int)
                        else exc.retry_after.total_seconds()
                    )
                )
                self.request(ward_id)
                return
            except ChatMigrated as exc:
                await self._follow(bot, ward, exc.new_chat_id)
                return
            except Forbidden as exc:
                await group_state.note_failure(self._uow, self._clock, bot, ward=ward, error=exc)
                return
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return
                log.info("board message of ward %s is gone; posting it again", ward_id)
        try:
            message = await bot.send_message(ward.group_chat_id, text, parse_mode=ParseMode.HTML)
        except ChatMigrated as exc:
            await self._follow(bot, ward, exc.new_chat_id)
            return
        except (Forbidden, BadRequest) as exc:
            if await group_state.note_failure(self._uow, self._clock, bot, ward=ward, error=exc):
                log.warning("the bot can no longer post in the group of ward %s", ward_id)
                return
            raise
        self.edits += 1
        try:
            await bot.pin_chat_message(
                ward.group_chat_id, message.message_id, disable_notification=True
            )
        except TelegramError as exc:
            # No right to pin: the head nurse is told (once); the board is posted regardless.
            await group_state.note_failure(self._uow, self._clock, bot, ward=ward, error=exc)
            log.warning("could not pin the board of ward %s (is the bot an admin?)", ward_id)
        async with self._uow() as uow:
            current = await uow.wards.get(ward_id)
            if current is not None and current.group_chat_id == ward.group_chat_id:
                await uow.wards.update(
                    dataclasses.replace(current, board_message_id=message.message_id)
                )
                await uow.commit()

    async def _follow(self, bot: Bot, ward: Ward, new_chat_id: int) -> None:
        """The group became a supergroup: move the ward there and post the board in it."""
        assert ward.group_chat_id is not None
        moved = await group_state.follow_migration(
            self._uow,
            self._clock,
            old_chat_id=ward.group_chat_id,
            new_chat_id=new_chat_id,
            actor=group_state.bot_actor(bot),
        )
        if moved is not None and moved.group_chat_id not in (None, ward.group_chat_id):
            await self._publish(ward.id)

    async def refresh_stale_days(self) -> None:
        """After midnight the census starts again: refresh boards still showing yesterday."""
        async with self._uow() as uow:
            wards = await uow.wards.with_group()
        now = self._clock.now()
        for ward in wards:
            today = now.astimezone(ZoneInfo(ward.timezone)).date()
            if self._shown_day.get(ward.id) != today:
                self.request(ward.id)

    async def flush(self) -> None:
        """Wait for every pending refresh (used at shutdown and by the demo)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)

    async def close(self) -> None:
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._pending.clear()
