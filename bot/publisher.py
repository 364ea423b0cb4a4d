"""Keeps each ward group's pinned whiteboard message current, coalescing bursts of changes."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from boards import groups
from boards.board import render_board
from boards.board_load import load_board
from boards.i18n import texts
from boards.model import GroupProblem, Ward
from boards.ports import Clock, UnitOfWorkFactory
from bot import group_state
from bot.logsafe import log_failure
from bot.transaction import transaction

__all__ = ["BoardPublisher", "load_board"]

log = logging.getLogger(__name__)

# How long one instance may hold a ward's board: far above one edit, and what a killed
# instance's lease costs the others.
_LEASE = timedelta(seconds=30)


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
        self.busy = 0  # refreshes put off because another instance was posting the board
        self._owner = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        # Told at once of every change (the station screens), before the coalesced edit.
        self.listeners: list[Callable[[int], None]] = []

    def request(self, ward_id: int) -> None:
        for listener in self.listeners:
            listener(ward_id)
        self._schedule(ward_id)

    def _schedule(self, ward_id: int) -> None:
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
        """Render the group copy and edit it in place; re-post and re-pin when it is gone.

        One poster at a time per ward, across bot instances too (a lease in the database):
        whoever holds it reads the ward after every change committed before it took it, so
        the last edit shows the latest state and a board gone missing is posted once. An
        instance that finds the lease taken comes back once it is free."""
        lock = self._locks.setdefault(ward_id, asyncio.Lock())
        async with lock:
            if not await self._lease(ward_id):
                self.busy += 1
                self._schedule(ward_id)
                return
            try:
                await self._publish(ward_id)
            finally:
                async with transaction(self._uow) as uow:
                    await uow.wards.release_board(ward_id, self._owner)

    async def _lease(self, ward_id: int) -> bool:
        # Wall-clock time: a lease left by a killed instance runs out whatever the ward's
        # clock says (a test's manual clock stands still).
        now = datetime.now(UTC)
        async with transaction(self._uow) as uow:
            return await uow.wards.lease_board(ward_id, self._owner, now=now, until=now + _LEASE)

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
            message = await bot.send_message(ward.group_chat_id, text)
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
        async with transaction(self._uow) as uow:
            await groups.record_board_message(
                uow, ward_id=ward_id, chat_id=ward.group_chat_id, message_id=message.message_id
            )

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
