"""The HIS feed in the bot's event loop: a message in, applied and committed, then its ACK."""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import logging
from collections.abc import AsyncIterator, Callable

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from boards.errors import BadInput, NotFound, WardError
from boards.feed import Applied, CensusEvent, Notice, apply_event, units_of
from boards.i18n import texts
from boards.masking import mask_name
from boards.ports import Clock, UnitOfWorkFactory
from bot.hl7.mapping import Malformed, Received, build_ack, decode, to_event
from bot.hl7.mllp import MllpServer, parse_listen
from bot.logsafe import log_failure

__all__ = ["HisFeed", "Outcome"]

log = logging.getLogger(__name__)

# Refusals by catalogue key: reject (AR) what the message itself gets wrong, error (AE)
# what the ward's state does not allow; table 0357 codes for the ERR segment.
_REJECT = {"feed.unknown_unit": 103}
_ERROR = {
    "feed.unknown_patient": 204,
    "feed.bed_taken": 205,
    "feed.swap_wards": 207,
    "feed.swap_beds": 205,
}


class Outcome:
    """What one message came to: the ACK code, the reason, and what was applied."""

    def __init__(self, code: str, reason: str | None = None, error: int | None = None) -> None:
        self.code = code
        self.reason = reason
        self.error = error
        self.applied: Applied | None = None


class HisFeed:
    """Applies census events from the hospital system; one ward's events in order.

    Each event runs under the locks of the points of care it names (taken in a fixed
    order), so two connections' messages for one ward are applied one after the other
    while other wards go on; one connection's messages are sequential already. `serial`
    (SQLite, one writer at a time) applies all events one after the other: waiting here
    hands the database on at once, where the driver's busy wait sleeps up to 100 ms.
    """

    def __init__(
        self,
        *,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        changed: Callable[[int], None],
        bot: Callable[[], Bot] | None = None,
        serial: bool = False,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._changed = changed
        self._bot = bot
        self._serial = serial
        self._locks: dict[str, asyncio.Lock] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: MllpServer | None = None
        self.received = 0

    # --- the listener -------------------------------------------------------------------

    async def listen(self, listen: str) -> int:
        host, port = parse_listen(listen)
        self._server = MllpServer(self.handle, host, port)
        await self._server.start()
        log.info("HL7 listener on %s:%d", host, self._server.port)
        return self._server.port

    @property
    def port(self) -> int | None:
        return self._server.port if self._server is not None else None

    async def close(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None
        await self.settle()

    async def settle(self) -> None:
        """Wait for the notices being sent to ward groups."""
        for task in list(self._tasks):
            with contextlib.suppress(Exception):
                await task

    # --- one message ----------------------------------------------------------------------

    async def handle(self, payload: bytes) -> bytes:
        """The ACK for one MLLP block, sent only once its change is committed."""
        self.received += 1
        received = decode(payload)
        outcome = await self._outcome(received)
        ack_id = f"WB{self._clock.now():%Y%m%d%H%M%S}{next(self._ids):06d}"
        return build_ack(
            received,
            outcome.code,
            now=self._clock.now(),
            ack_id=ack_id,
            reason=outcome.reason,
            error=outcome.error,
        )

    async def _outcome(self, received: Received) -> Outcome:
        if received.message is None:
            return Outcome("AR", "not an HL7 v2 message", 100)
        try:
            event = to_event(received.message)
        except Malformed as bad:
            return Outcome("AR", bad.reason, bad.code)
        try:
            async with self._ordered(units_of(event)):
                return await self._apply(event)
        except Exception:  # a bug or the database: AE, the HIS sends again
            log_failure(log, "HL7 event %s not applied", event.code)
            return Outcome("AE", "internal error, not applied", 207)

    @contextlib.asynccontextmanager
    async def _ordered(self, units: list[str]) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for unit in ["*"] if self._serial or not units else units:
                await stack.enter_async_context(self._locks.setdefault(unit, asyncio.Lock()))
            yield

    async def _apply(self, event: CensusEvent) -> Outcome:
        t = texts("en")
        try:
            async with self._uow() as uow:
                applied = await apply_event(uow, self._clock, event)
                await uow.commit()
        except WardError as refused:
            if await self._seen(event):
                # Applied before (sent again, or on another connection at the same time):
                # what was done again is rolled back, and the answer is the same.
                return Outcome("AA")
            reason = t(refused.key, **refused.params)
            if refused.key in _ERROR:
                return Outcome("AE", reason, _ERROR[refused.key])
            if refused.key in _REJECT or isinstance(refused, BadInput):
                return Outcome("AR", reason, _REJECT.get(refused.key, 102))
            code = 204 if isinstance(refused, NotFound) else 207
            return Outcome("AE", reason, code)
        outcome = Outcome("AA")
        outcome.applied = applied
        for ward_id in applied.wards:
            self._changed(ward_id)
        if applied.notices:
            task = asyncio.create_task(self._tell(applied.notices))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return outcome

    async def _seen(self, event: CensusEvent) -> bool:
        async with self._uow() as uow:
            return await uow.his_messages.get(event.message_id) is not None

    async def _tell(self, notices: list[Notice]) -> None:
        """The ward group hears that the HIS changed a bed a nurse had just edited."""
        if self._bot is None:
            return
        async with self._uow() as uow:
            wards = {w.id: w for w in await uow.wards.many([n.ward_id for n in notices])}
        for notice in notices:
            ward = wards.get(notice.ward_id)
            if ward is None or ward.group_chat_id is None or ward.group_problem == "removed":
                continue
            t = texts(ward.locale, ward.timezone)
            text = t(
                "feed.notice",
                bed=t.bed(notice.bed),
                name=html.escape(mask_name(notice.name)) if notice.name else "",
                event=t(f"feed.event.{notice.kind.value}"),
            )
            try:
                await self._bot().send_message(ward.group_chat_id, text, parse_mode=ParseMode.HTML)
            except TelegramError:
                log_failure(log, "HL7 notice to ward %d not sent", ward.id)
