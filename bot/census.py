"""The census by file: /import then a CSV or XLSX document, previewed and confirmed; /export."""

from __future__ import annotations

import contextlib
import html
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError

from boards import census, services
from boards.census.files import MAX_BYTES
from boards.errors import BadInput, Forbidden, WardError
from boards.model import Ward
from bot.flood import admit
from bot.runtime import Runtime, WardContext
from bot.turn import Turn, turn

__all__ = ["CENSUS_COMMANDS", "IMPORT_PREFIX", "Imports", "on_document", "on_import_button"]

Action = Callable[[Turn, list[str]], Awaitable[None]]

IMPORT_PREFIX = "ci:"
# A preview waits this long for its confirmation; a file this long after /import.
_PENDING_FOR = timedelta(minutes=30)
_EXTRAS_KEY = "census_imports"


@dataclass
class _Pending:
    ward_id: int
    user_id: int
    table: census.CensusTable
    source: str
    at: datetime
    # What the preview showed: a ward changed since then gets a new preview, not a surprise.
    shape: tuple[object, ...]


@dataclass
class Imports:
    """In memory, like the dialogues: a restart forgets them, and the nurse sends it again."""

    waiting: dict[int, tuple[int, datetime]] = field(default_factory=dict)
    pending: dict[str, _Pending] = field(default_factory=dict)

    def expire(self, now: datetime) -> None:
        for user, (_, at) in list(self.waiting.items()):
            if now - at > _PENDING_FOR:
                del self.waiting[user]
        for key, pending in list(self.pending.items()):
            if now - pending.at > _PENDING_FOR:
                del self.pending[key]


def _imports(runtime: Runtime) -> Imports:
    found = runtime.extras.get(_EXTRAS_KEY)
    if not isinstance(found, Imports):
        found = runtime.extras[_EXTRAS_KEY] = Imports()
    return found


def _shape(plan: census.CensusPlan) -> tuple[object, ...]:
    return (
        tuple(r.row for r in plan.admit),
        tuple((u.stay.id, u.fields) for u in plan.update),
        tuple(s.id for s in plan.missing),
    )


async def _import(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    imports = _imports(tn.runtime)
    imports.expire(tn.runtime.clock.now())
    imports.waiting[tn.user_id] = (ward.id, tn.runtime.clock.now())
    await tn.reply(tn.t("import.ask", ward=html.escape(ward.name)))


async def _preview(tn: Turn, ward: Ward, table: census.CensusTable, source: str) -> None:
    plan = await census.plan_census(tn.uow, ward=ward, table=table)
    text = census.summary_text(plan, tn.t, source=source)
    markup = None
    imports = _imports(tn.runtime)
    if plan.ok and plan.changes:
        key = secrets.token_urlsafe(6)
        imports.pending[key] = _Pending(
            ward.id, tn.user_id, table, source, tn.runtime.clock.now(), _shape(plan)
        )
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tn.t("import.button_confirm"),
                        callback_data=f"{IMPORT_PREFIX}ok:{ward.id}:{key}",
                    ),
                    InlineKeyboardButton(
                        tn.t("import.button_cancel"),
                        callback_data=f"{IMPORT_PREFIX}no:{ward.id}:{key}",
                    ),
                ]
            ]
        )
    elif plan.errors:
        # The nurse may send the corrected file straight away.
        imports.waiting[tn.user_id] = (ward.id, tn.runtime.clock.now())
    await tn.reply(text, markup=markup)


async def on_document(update: Update, context: WardContext) -> None:
    """A document in a private chat: the census file a nurse sends after /import."""
    message = update.effective_message
    user = update.effective_user
    if message is None or message.document is None or user is None:
        return
    if not await admit(update, context):
        return
    imports = _imports(context.runtime)
    imports.expire(context.runtime.clock.now())
    waiting = imports.waiting.pop(user.id, None)
    # The file may also come with /import as its caption, in the nurse's current ward.
    words = (message.caption or "").split()
    by_caption = bool(words) and words[0].split("@")[0].lower() == "/import"
    document = message.document
    data: bytes | None = None
    failed: WardError | None = None
    if waiting is not None or by_caption:
        # Downloaded before the transaction opens: nothing waits on Telegram holding a lock.
        if (document.file_size or 0) > MAX_BYTES:
            failed = BadInput("census.err_too_big", limit=MAX_BYTES // 2**20)
        else:
            try:
                file = await context.bot.get_file(document.file_id)
                data = bytes(await file.download_as_bytearray())
            except TelegramError:
                failed = BadInput("import.download_failed")
    async with turn(update, context, "import") as tn:
        if waiting is None and not by_caption:
            await tn.reply(tn.t("import.no_pending"))
            return
        if waiting is not None:
            tn.pin_ward(waiting[0])
        ward, _ = await tn.ward()
        if failed is not None:
            imports.waiting[tn.user_id] = (ward.id, tn.runtime.clock.now())
            raise failed
        assert data is not None
        source = (document.file_name or "census")[:64]
        try:
            cells = census.read_table(data, document.file_name)
        except BadInput:
            imports.waiting[tn.user_id] = (ward.id, tn.runtime.clock.now())
            raise
        table = census.read_rows(
            cells,
            tz=ZoneInfo(ward.timezone),
            now=tn.runtime.clock.now(),
            bed_count=ward.bed_count,
        )
        await _preview(tn, ward, table, source)


async def on_import_button(tn: Turn, data: str) -> None:
    """`ci:ok|no:<ward>:<key>`: confirm or cancel a previewed import, re-authorised."""
    query = tn.update.callback_query
    assert query is not None
    parts = data.split(":")
    if len(parts) != 4 or parts[1] not in ("ok", "no") or not parts[2].isdigit():
        raise Forbidden("err.not_member")
    _, verb, ward_id, key = parts
    tn.command = "import"
    tn.pin_ward(int(ward_id))
    ward, _ = await tn.ward()
    await query.answer()
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)
    imports = _imports(tn.runtime)
    imports.expire(tn.runtime.clock.now())
    pending = imports.pending.get(key)
    if pending is None or pending.ward_id != ward.id or pending.user_id != tn.user_id:
        # Only the nurse who sent the file confirms it; a forged press takes nothing away.
        await tn.reply(tn.t("import.expired"))
        return
    del imports.pending[key]
    if verb == "no":
        await tn.reply(tn.t("import.cancelled"))
        return
    plan = await census.plan_census(tn.uow, ward=ward, table=pending.table)
    if not plan.ok or _shape(plan) != pending.shape:
        # The ward changed since the preview: show what the file would do now.
        await tn.reply(tn.t("import.changed"))
        await _preview(tn, ward, pending.table, pending.source)
        return
    result = await census.apply_census(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, plan=plan
    )
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(census.result_text(result, tn.t))


async def _export(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    stays = await tn.uow.stays.active(ward.id)
    board = await services.board_data(tn.uow, tn.runtime.clock, ward=ward)
    if not stays and not board.ended_today:
        await tn.reply(tn.t("export.empty"))
        return
    day = tn.t.local(tn.runtime.clock.now()).strftime("%Y%m%d")
    census_file = census.census_csv(stays, tn.t)
    board_file = census.board_csv(board, tn.t)
    await tn.context.bot.send_document(
        tn.chat_id,
        document=InputFile(census_file, filename=f"census-{day}.csv"),
        caption=tn.t("export.census_caption", ward=ward.name, n=len(stays)),
    )
    await tn.context.bot.send_document(
        tn.chat_id,
        document=InputFile(board_file, filename=f"board-{day}.csv"),
        caption=tn.t("export.board_caption", ward=ward.name),
    )


CENSUS_COMMANDS: dict[str, Action] = {"import": _import, "export": _export}
