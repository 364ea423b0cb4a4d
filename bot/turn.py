"""One update's worth of work: who is acting, in which ward and language, in one transaction."""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import AsyncIterator
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode

from boards import services
from boards.errors import Forbidden, WardError
from boards.i18n import Texts, texts
from boards.masking import mask_name
from boards.model import Member, Stay, Ward
from boards.ports import UnitOfWork
from bot.runtime import Runtime, WardContext

__all__ = ["Turn", "turn"]

log = logging.getLogger(__name__)


class Turn:
    """Handlers see the world through this: replies, ward, language, and the changes made."""

    def __init__(
        self, update: Update, context: WardContext, uow: UnitOfWork, command: str | None
    ) -> None:
        self.update = update
        self.context = context
        self.runtime: Runtime = context.runtime
        self.uow = uow
        self.command = command
        user = update.effective_user
        chat = update.effective_chat
        assert user is not None and chat is not None
        self.user_id = user.id
        self.chat_id = chat.id
        self.private = chat.type == ChatType.PRIVATE
        self.actor = services.Actor(user.id, user.full_name[:60] or str(user.id))
        self._user_locale: str | None = None
        self.t: Texts = texts(self.runtime.settings.locale, self.runtime.settings.timezone)
        self._ward: tuple[Ward, Member] | None = None
        self._changed: set[int] = set()

    async def load_locale(self) -> None:
        prefs = await self.uow.users.get(self.user_id)
        self._user_locale = prefs.locale if prefs is not None else None
        self.t = texts(
            self._user_locale or self.runtime.settings.locale, self.runtime.settings.timezone
        )

    def use_ward(self, ward: Ward) -> None:
        # Group replies speak the ward's language; private ones the nurse's own.
        locale = self._user_locale if self.private and self._user_locale else ward.locale
        self.t = texts(locale, ward.timezone)

    async def ward(self) -> tuple[Ward, Member]:
        """The ward this command acts on, checking that the sender is an approved member."""
        if self._ward is None:
            if self.private:
                self._ward = await services.current_ward(self.uow, user_id=self.user_id)
            else:
                self._ward = await services.ward_for_group(
                    self.uow, chat_id=self.chat_id, user_id=self.user_id
                )
            self.use_ward(self._ward[0])
        return self._ward

    async def ward_of(self, ward_id: int) -> tuple[Ward, Member]:
        """A named ward (a scanned sign's), checking membership like `ward()` does."""
        ward = await self.uow.wards.get(ward_id)
        if ward is None:
            raise Forbidden("err.not_member")
        self._ward = (ward, await services.require_member(self.uow, ward_id, self.user_id))
        self.use_ward(ward)
        return self._ward

    def who(self, stay: Stay) -> str:
        """Bed and name as this chat may see them: full name only in a private chat."""
        name = stay.name if self.private else mask_name(stay.name)
        return f"{self.t.bed(stay.bed)} {name}"

    def changed(self, ward_id: int) -> None:
        self._changed.add(ward_id)

    async def commit(self) -> None:
        await self.uow.commit()
        for ward_id in self._changed:
            self.runtime.publisher.request(ward_id)
        self._changed.clear()

    async def reply(
        self,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
        chat_id: int | None = None,
        **kwargs: Any,
    ) -> Message:
        return await self.context.bot.send_message(
            chat_id or self.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            **kwargs,
        )

    def explain(self, error: WardError) -> str:
        """The refusal as HTML: its parameters echo what the nurse typed, so escape them."""
        params = {k: html.escape(v) if isinstance(v, str) else v for k, v in error.params.items()}
        return self.t(error.key, **params)

    async def refuse(self, error: WardError) -> None:
        text = self.explain(error)
        usage = f"usage.{self.command}" if self.command else None
        if usage and not isinstance(error, Forbidden) and self.t.has(usage):
            text = f"{text}\n{self.t(usage)}"
        await self.reply(text)


@contextlib.asynccontextmanager
async def turn(update: Update, context: WardContext, command: str | None) -> AsyncIterator[Turn]:
    """A transaction for one update; a refusal rolls it back and tells the nurse why."""
    async with context.runtime.uow() as uow:
        current = Turn(update, context, uow, command)
        await current.load_locale()
        try:
            yield current
        except WardError as error:
            # Nothing of a refused command is kept: the unit of work was not committed.
            await current.refuse(error)
