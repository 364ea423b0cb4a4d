"""The census by file: /import then a CSV or XLSX document, previewed and confirmed; /export."""

from __future__ import annotations

import contextlib
import hashlib
import html
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError

from boards import census, services
from boards.census.files import MAX_BYTES
from boards.errors import BadInput, Forbidden, WardError
from boards.model import ImportDraft, Ward
from boards.text import is_number
from bot.flood import admit
from bot.runtime import Runtime, WardContext
from bot.turn import Turn, turn

__all__ = ["CENSUS_COMMANDS", "IMPORT_PREFIX", "on_document", "on_import_button", "sweep_imports"]

Action = Callable[[Turn, list[str]], Awaitable[None]]

IMPORT_PREFIX = "ci:"
# A preview waits this long for its confirmation; a file this long after /import.
_PENDING_FOR = timedelta(minutes=30)


def _wait_key(user_id: int) -> str:
    # One file awaited per nurse; a preview's key is random, so never of this form.
    return f"w{user_id}"


def _digest(plan: census.CensusPlan) -> str:
    """What the preview showed: a ward changed since then gets a new preview, not a surprise."""
    shape = (
        tuple(r.row for r in plan.admit),
        tuple((u.stay.id, u.fields) for u in plan.update),
        tuple(s.id for s in plan.missing),
    )
    return hashlib.sha256(repr(shape).encode()).hexdigest()


async def _await_file(tn: Turn, ward: Ward) -> None:
    """Wait for the nurse's file in this ward; committed, so any instance receives it."""
    now = tn.runtime.clock.now()
    await tn.uow.imports.expire(now - _PENDING_FOR)
    await tn.uow.imports.put(
        ImportDraft(key=_wait_key(tn.user_id), user_id=tn.user_id, ward_id=ward.id, at=now)
    )
    await tn.commit()


async def sweep_imports(runtime: Runtime) -> int:
    """Imports waiting past their half hour removed, the file's cells with them."""
    async with runtime.uow() as uow:
        gone = await uow.imports.expire(runtime.clock.now() - _PENDING_FOR)
        await uow.commit()
    return gone


async def _import(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    await _await_file(tn, ward)
    await tn.reply(tn.t("import.ask", ward=html.escape(ward.name)))


async def _preview(
    tn: Turn, ward: Ward, cells: Sequence[Sequence[str]], source: str, at: datetime
) -> None:
    """The file read as of `at` (ages from birth dates, times without a date), planned
    against the ward as it is now, shown with confirm / cancel; the draft is committed
    before the preview goes out, so the press may reach any instance."""
    table = census.read_rows(
        cells,
        tz=ZoneInfo(ward.timezone),
        now=at,
        bed_count=ward.bed_count,
    )
    plan = await census.plan_census(tn.uow, ward=ward, table=table)
    text = census.summary_text(plan, tn.t, source=source)
    markup = None
    if plan.ok and plan.changes:
        key = secrets.token_urlsafe(9)
        await tn.uow.imports.put(
            ImportDraft(
                key=key,
                user_id=tn.user_id,
                ward_id=ward.id,
                at=at,
                source=source,
                cells=tuple(tuple(row) for row in cells),
                digest=_digest(plan),
            )
        )
        await tn.commit()
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
        await _await_file(tn, ward)
    else:
        await tn.commit()  # the awaited file has come: no longer awaited
    await tn.reply(text, markup=markup)


async def _awaited(context: WardContext, user_id: int) -> bool:
    """Whether a file is awaited from this nurse (a look only: taken in the turn)."""
    async with context.runtime.uow() as uow:
        return await uow.imports.get(_wait_key(user_id)) is not None


async def on_document(update: Update, context: WardContext) -> None:
    """A document in a private chat: the census file a nurse sends after /import."""
    message = update.effective_message
    user = update.effective_user
    if message is None or message.document is None or user is None:
        return
    if not await admit(update, context):
        return
    # The file may also come with /import as its caption, in the nurse's current ward.
    words = (message.caption or "").split()
    by_caption = bool(words) and words[0].split("@")[0].lower() == "/import"
    awaited = by_caption or await _awaited(context, user.id)
    document = message.document
    data: bytes | None = None
    failed: WardError | None = None
    if awaited:
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
        now = tn.runtime.clock.now()
        waiting = await tn.uow.imports.take(_wait_key(tn.user_id))
        if waiting is not None and waiting.at < now - _PENDING_FOR:
            waiting = None
        if waiting is None and not by_caption:
            await tn.commit()  # an expired wait is gone
            await tn.reply(tn.t("import.no_pending"))
            return
        if waiting is not None:
            tn.pin_ward(waiting.ward_id)
        ward, _ = await tn.ward()
        if failed is not None:
            await _await_file(tn, ward)
            raise failed
        assert data is not None
        source = (document.file_name or "census")[:64]
        try:
            cells = census.read_table(data, document.file_name)
        except BadInput:
            await _await_file(tn, ward)
            raise
        await _preview(tn, ward, cells, source, now)


async def on_import_button(tn: Turn, data: str) -> None:
    """`ci:ok|no:<ward>:<key>`: confirm or cancel a previewed import, re-authorised."""
    query = tn.update.callback_query
    assert query is not None
    parts = data.split(":")
    if len(parts) != 4 or parts[1] not in ("ok", "no") or not is_number(parts[2]):
        raise Forbidden("err.not_member")
    _, verb, ward_id, key = parts
    tn.command = "import"
    tn.pin_ward(int(ward_id))
    ward, _ = await tn.ward()
    await query.answer()
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)
    draft = await tn.uow.imports.take(key)
    if (
        draft is None
        or draft.cells is None
        or draft.ward_id != ward.id
        or draft.user_id != tn.user_id
        or draft.at < tn.runtime.clock.now() - _PENDING_FOR
    ):
        # Only the nurse who sent the file confirms it; a forged press takes nothing away
        # (the turn ends uncommitted, so the draft is still there for her).
        await tn.reply(tn.t("import.expired"))
        return
    if verb == "no":
        await tn.commit()
        await tn.reply(tn.t("import.cancelled"))
        return
    table = census.read_rows(
        draft.cells,
        tz=ZoneInfo(ward.timezone),
        now=draft.at,
        bed_count=ward.bed_count,
    )
    plan = await census.plan_census(tn.uow, ward=ward, table=table)
    if not plan.ok or _digest(plan) != draft.digest:
        # The ward changed since the preview: show what the file would do now.
        await tn.reply(tn.t("import.changed"))
        await _preview(tn, ward, draft.cells, draft.source, draft.at)
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
