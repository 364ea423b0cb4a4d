"""One update's worth of work: who is acting, in which ward and language, in one transaction."""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.error import TelegramError

from boards import access, services
from boards.errors import Conflict, Forbidden, WardError
from boards.hospital import Hospital, load_hospital
from boards.i18n import Texts, normalise_locale, texts
from boards.masking import mask_name
from boards.model import Member, Stay, Ward
from boards.ports import UnitOfWork
from bot.runtime import Runtime, WardContext

__all__ = ["Turn", "texts_for", "turn"]

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
        self.actor = access.actor_of_user(user.id, user.full_name)
        self._user_locale: str | None = None
        self._language_code = user.language_code
        self.t: Texts = texts(self.runtime.settings.locale, self.runtime.settings.timezone)
        self._ward: tuple[Ward, Member] | None = None
        # The ward a button or a dialogue named: the command acts there or nowhere.
        self._pinned_ward: int | None = None
        # Name the ward in private replies when the nurse works in more than one.
        self._ward_label: str | None = None
        self._hospital: Hospital | None = None
        self._changed: set[int] = set()
        # The chat's dialogue ends even if this turn is refused (its own delete rolls back).
        self.drop_dialogue = False
        # A press answered by the turn (`answer_press_later`): its alert if refused, and the
        # answer on its way.
        self._press_later = False
        self._press_alert: str | None = None
        self._press: asyncio.Future[None] | None = None

    async def load_locale(self) -> None:
        # With the chat's dialogue, which the command asks for next, in one statement; in
        # her own chat with her memberships and their wards too (`ward` asks for them).
        prefs = await self.uow.users.get(
            self.user_id, chat_id=self.chat_id, memberships=self.private
        )
        # Her own choice (/lang), else the language her Telegram app is set to, if we speak it.
        self._user_locale = (prefs.locale if prefs is not None else None) or normalise_locale(
            self._language_code
        )
        self.t = texts(
            self._user_locale or self.runtime.settings.locale, self.runtime.settings.timezone
        )

    def use_ward(self, ward: Ward) -> None:
        # Group replies speak the ward's language; private ones the nurse's own.
        locale = self._user_locale if self.private and self._user_locale else ward.locale
        self.t = texts(locale, ward.timezone)

    def pin_ward(self, ward_id: int) -> None:
        """This turn acts in the ward a button or dialogue named, re-checked when used."""
        if self._ward is not None and self._ward[0].id != ward_id:
            self._ward = None
        self._pinned_ward = ward_id

    async def ward(self) -> tuple[Ward, Member]:
        """The ward this command acts on, checking that the sender is an approved member."""
        if self._ward is None:
            if self._pinned_ward is not None:
                return await self.ward_of(self._pinned_ward)
            if self.private:
                # Read once: which ward is hers, and whether replies name it.
                mine = await self.uow.members.of_user(self.user_id)
                self._ward = await services.current_ward(
                    self.uow, user_id=self.user_id, memberships=mine
                )
                await self._label(self._ward[0], mine)
            else:
                self._ward = await services.ward_for_group(
                    self.uow, chat_id=self.chat_id, user_id=self.user_id
                )
                await self._label(self._ward[0])
        return self._ward

    async def ward_of(self, ward_id: int) -> tuple[Ward, Member]:
        """A named ward (a button's, a scanned sign's), checking membership like `ward()`."""
        ward = await self.uow.wards.get(ward_id)
        if ward is None:
            raise Forbidden("err.not_member")
        self._ward = (ward, await access.require_member(self.uow, ward_id, self.user_id))
        await self._label(ward)
        return self._ward

    async def _label(self, ward: Ward, memberships: Sequence[Member] | None = None) -> None:
        self.use_ward(ward)
        if self.private:
            if memberships is None:
                memberships = await self.uow.members.of_user(self.user_id)
            approved = [m for m in memberships if m.approved]
            self._ward_label = ward.name if len(approved) > 1 else None

    async def hospital(self) -> Hospital:
        if self._hospital is None:
            self._hospital = await load_hospital(self.uow, self.runtime.settings.operator_ids())
        return self._hospital

    async def expect_stays(self, ward: Ward, expected: dict[str, int]) -> None:
        """Refuse when a bed answered earlier holds another patient now (or nobody)."""
        for bed, stay_id in expected.items():
            stay = await self.uow.stays.active_in_bed(ward.id, bed)
            if stay is None or stay.id != stay_id:
                raise Conflict("err.bed_changed", bed=bed)

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
        self.answer_press()

    def answer_press_later(self) -> None:
        """This turn answers its button press itself: once its transaction is over (when it
        commits, or ends), not as a round trip to Telegram inside it ahead of her reply.
        The answer is sent beside the reply, not after it: a reply may wait its turn behind
        the 08:00 reminders, an answer does not (Telegram drops a press answered late)."""
        self._press_later = True

    @property
    def answers_press(self) -> bool:
        return self._press_later

    def refuse_press(self, text: str) -> None:
        """The press, refused, is answered by this alert when the turn ends."""
        self._press_alert = text

    def answer_press(self) -> None:
        """Send the press's answer now, once (plainly, or the refusal's alert)."""
        query = self.update.callback_query
        if not self._press_later or self._press is not None or query is None:
            return
        alert = self._press_alert

        async def answer() -> None:
            with contextlib.suppress(TelegramError):
                await query.answer(alert, show_alert=alert is not None)

        self._press = asyncio.ensure_future(answer())

    async def _pressed(self) -> None:
        self.answer_press()
        if self._press is not None:
            await self._press

    async def reply(
        self,
        text: str,
        *,
        markup: InlineKeyboardMarkup | None = None,
        chat_id: int | None = None,
        **kwargs: Any,
    ) -> Message:
        if self._ward_label is not None and (chat_id is None or chat_id == self.chat_id):
            # A nurse of two wards always reads which one a reply is about.
            text = f"【{html.escape(self._ward_label)}】{text}"
        return await self.context.bot.send_message(
            chat_id or self.chat_id,
            text,
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


async def texts_for(tn: Turn, user_id: int, fallback: str, tz: str) -> Texts:
    """The language another person reads (a head nurse, a sender): hers, else the ward's."""
    prefs = await tn.uow.users.get(user_id)
    return texts(prefs.locale if prefs and prefs.locale else fallback, tz)


@contextlib.asynccontextmanager
async def turn(update: Update, context: WardContext, command: str | None) -> AsyncIterator[Turn]:
    """A transaction for one update; a refusal rolls it back and tells the nurse why."""
    refused: WardError | None = None
    current: Turn | None = None
    try:
        async with context.runtime.uow() as uow:
            current = Turn(update, context, uow, command)
            await current.load_locale()
            try:
                yield current
            except WardError as error:
                refused = error
        if refused is not None and current.drop_dialogue:
            async with context.runtime.uow() as uow:
                await uow.dialogues.delete(current.chat_id)
                await uow.commit()
        if refused is not None:
            # Nothing of a refused command is kept: the unit of work ended uncommitted. The
            # refusal is sent after it ended, so no transaction waits on Telegram's rate
            # limits; a press the turn answers is answered first (it waits on none).
            current.answer_press()
            await current.refuse(refused)
    finally:
        # A press the turn answers is answered whatever happened, even a failure.
        if current is not None:
            await current._pressed()
