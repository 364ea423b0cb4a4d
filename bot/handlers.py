"""The ward's and the patients' commands: parse, call a service, commit, reply in her language."""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.error import TelegramError

from boards import bedside, commands, queries, services, tasks
from boards.board import render_board
from boards.board_data import BedsideInfo
from boards.board_load import load_board
from boards.errors import BadInput, Forbidden, WardError
from boards.i18n import normalise_locale, texts
from boards.model import ItemKind, Stay, Ward
from boards.text import clean_text, is_number, typed_number
from boards.views.card import card_view
from boards.views.telegram_html import card_html
from bot.bedside_handlers import SIGN_PREFIX, open_scanned_sign
from bot.logsafe import log_failure
from bot.membership import INVITE_PREFIX, open_invite
from bot.picture import IMAGE_WORDS, send_board_picture
from bot.runtime import SCREEN_KEY, WardContext
from bot.turn import Turn

__all__ = ["WARD_COMMANDS", "on_error", "ward_button"]

log = logging.getLogger(__name__)

Action = Callable[[Turn, list[str]], Awaitable[None]]

# --- people and wards ----------------------------------------------------------------------


async def _start(tn: Turn, args: list[str]) -> None:
    payload = args[0] if args else ""
    if not tn.private:
        await tn.reply(tn.t("start.group"))
        return
    if payload.startswith(INVITE_PREFIX):
        await open_invite(tn, payload[len(INVITE_PREFIX) :])
        return
    if payload.startswith(SIGN_PREFIX):
        stay = await open_scanned_sign(tn, payload[len(SIGN_PREFIX) :])
        if stay is not None:
            ward, _ = await tn.ward_of(stay.ward_id)
            await _show_card(tn, ward, stay)
            return
    if payload:
        # Unknown or revoked links say nothing about what they pointed to.
        await tn.reply(tn.t("err.link_invalid"))
        return
    await tn.reply(tn.t("start.welcome"))


async def _help(tn: Turn, args: list[str]) -> None:
    await tn.reply(tn.t("help"))


async def _newward(tn: Turn, args: list[str]) -> None:
    if not tn.private:
        raise Forbidden("err.private_only")
    if not args:
        raise BadInput("err.missing_args")
    bed_count = None
    words = list(args)
    if len(words) > 1 and clean_text(words[-1]).isdigit():
        # A last word of digits is the bed count: one that is no count is refused, not
        # taken into the ward's name.
        bed_count = typed_number(words.pop(), most=9999)
        if bed_count is None:
            raise BadInput("err.bed_count_form")
    ward = await services.create_ward(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        hospital=await tn.hospital(),
        name=" ".join(words),
        timezone=tn.runtime.settings.timezone,
        locale=tn.t.locale,
        bed_count=bed_count,
    )
    await tn.commit()
    tn.use_ward(ward)
    await tn.reply(tn.t("newward.ok", ward=html.escape(ward.name)))


async def _ward(tn: Turn, args: list[str]) -> None:
    if not tn.private:
        raise Forbidden("err.private_only")
    if args:
        ward = await services.switch_ward(tn.uow, actor=tn.actor, name=" ".join(args))
        await tn.commit()
        tn.use_ward(ward)
        await tn.reply(tn.t("ward.switched", ward=html.escape(ward.name)))
        return
    await _ward_choice(tn)


async def _ward_choice(tn: Turn) -> None:
    wards = await queries.my_wards(tn.uow, user_id=tn.user_id)
    if not wards:
        raise WardError("err.no_ward")
    try:
        current, _ = await services.current_ward(tn.uow, user_id=tn.user_id)
        current_id: int | None = current.id
    except WardError:
        current_id = None
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if w.id == current_id else "") + w.name, callback_data=f"w:{w.id}"
            )
        ]
        for w in wards
    ]
    await tn.reply(tn.t("ward.choose"), markup=InlineKeyboardMarkup(rows))


async def ward_button(tn: Turn, data: str) -> None:
    """`w:<ward>`: switch to one of her own wards; a forged id learns nothing."""
    query = tn.update.callback_query
    assert query is not None
    raw = data[2:]
    if not is_number(raw):
        raise Forbidden("err.not_member")
    ward = await services.switch_ward(tn.uow, actor=tn.actor, ward_id=int(raw))
    await tn.commit()
    tn.use_ward(ward)
    await query.answer()
    await tn.reply(tn.t("ward.switched", ward=html.escape(ward.name)))


async def _bind(tn: Turn, args: list[str]) -> None:
    """`/bind` in the group: the ward she heads (named, `/bind 病区名`, if she heads several)."""
    if tn.private:
        raise Forbidden("err.group_only")
    wards = await queries.headed_wards(tn.uow, user_id=tn.user_id)
    wanted = " ".join(args)
    chosen = [w for w in wards if w.name == wanted] if wanted else wards
    if not wards:
        raise Forbidden("err.head_only")
    if len(chosen) != 1:
        # Never guess which ward a group shows: the head nurse names it.
        raise BadInput("err.bind_which")
    ward = chosen[0]
    tn.use_ward(ward)
    ward = await services.bind_group(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, chat_id=tn.chat_id
    )
    await tn.commit()
    await tn.reply(tn.t("bind.ok", ward=html.escape(ward.name)))
    await tn.runtime.publisher.publish(ward.id)


async def _unbind(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    await services.unbind_group(tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward)
    await tn.commit()
    await tn.reply(tn.t("unbind.ok", ward=html.escape(ward.name)))


async def _lang(tn: Turn, args: list[str]) -> None:
    locale = normalise_locale(args[0]) if args else None
    if locale is None:
        raise BadInput("err.lang_form")
    await services.set_locale(tn.uow, user_id=tn.user_id, locale=locale)
    await tn.commit()
    tn.t = texts(locale, tn.t.tz.key)
    await tn.reply(tn.t("lang.ok"))


# --- patients ------------------------------------------------------------------------------


async def _admit(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    a = commands.parse_admit(args, bed_count=ward.bed_count)
    stay = await services.admit(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        ward=ward,
        bed=a.bed,
        name=a.name,
        sex=a.sex,
        age=a.age,
        diagnosis=a.diagnosis,
        level=a.level,
        admission_no=a.admission_no,
    )
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(tn.t("admit.ok", who=html.escape(tn.who(stay))))


async def _discharge(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed = commands.parse_bed_only(args, bed_count=ward.bed_count)
    stay = await services.discharge(tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed)
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(tn.t("discharge.ok", who=html.escape(tn.who(stay))))


async def _move(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed, new_bed = commands.parse_move(args, bed_count=ward.bed_count)
    stay = await services.move_bed(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed, new_bed=new_bed
    )
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(tn.t("move.ok", who=html.escape(tn.who(stay)), old=tn.t.bed(bed)))


async def _surgery(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    a = commands.parse_surgery(
        args, bed_count=ward.bed_count, now=tn.runtime.clock.now(), tz=tn.t.tz
    )
    now = tn.runtime.clock.now()
    if isinstance(a, commands.SurgeryStateArgs):
        stay, op = await services.set_surgery_state(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=a.bed, state=a.state
        )
        key = f"surgery.ok_{a.state.value}"
    else:
        stay, op = await services.schedule_surgery(
            tn.uow,
            tn.runtime.clock,
            actor=tn.actor,
            ward=ward,
            bed=a.bed,
            at=a.at,
            procedure=a.procedure,
        )
        key = "surgery.ok_scheduled"
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(
        tn.t(
            key,
            who=html.escape(tn.who(stay)),
            procedure=html.escape(op.procedure),
            when=tn.t.date_hm(op.scheduled_at, now=now),
        )
    )


async def _critical(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed, level = commands.parse_critical_args(args, bed_count=ward.bed_count)
    stay = await services.set_critical(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed, critical=level
    )
    tn.changed(ward.id)
    await tn.commit()
    state = tn.t(f"critical.{level.value}") if level else tn.t("critical.off")
    await tn.reply(tn.t("critical.ok", who=html.escape(tn.who(stay)), state=state))


def _item_action(kind: ItemKind) -> Action:
    async def action(tn: Turn, args: list[str]) -> None:
        ward, _ = await tn.ward()
        a = commands.parse_item(
            args, kind, bed_count=ward.bed_count, now=tn.runtime.clock.now(), tz=tn.t.tz
        )
        stay, item = await services.add_item(
            tn.uow,
            tn.runtime.clock,
            actor=tn.actor,
            ward=ward,
            bed=a.bed,
            kind=kind,
            text=a.text,
            at=a.at,
        )
        tn.changed(ward.id)
        warn = await _warn_group_sees(tn, ward)
        await tn.commit()
        text = tn.t(
            f"item.ok_{kind.value}",
            who=html.escape(tn.who(stay)),
            text=html.escape(item.text),
            when=tn.t.date_hm(item.at, now=tn.runtime.clock.now()),
        )
        await tn.reply(f"{text}\n{tn.t('note.group_sees')}" if warn else text)

    return action


async def _warn_group_sees(tn: Turn, ward: Ward) -> bool:
    """Once per nurse: free text typed here is read by everyone in the ward group."""
    if ward.group_chat_id is None or not (await tasks.get_policy(tn.uow, ward=ward)).group_notes:
        return False
    return await services.warn_group_sees_once(tn.uow, tn.runtime.clock, user_id=tn.user_id)


async def _card(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed = commands.parse_bed_only(args, bed_count=ward.bed_count)
    card = await services.patient_card(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed
    )
    await _show_card(tn, ward, card.stay, card)


async def _show_card(
    tn: Turn, ward: Ward, stay: Stay, card: services.PatientCard | None = None
) -> None:
    if card is None:
        card = await services.patient_card(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=stay.bed
        )
    view = await bedside.bedside_view(tn.uow, tn.runtime.clock, ward=ward, stays=[card.stay])
    await tn.reply(
        _card_text(tn, card, view.get(card.stay.id)), markup=_card_buttons(tn, card.stay)
    )


def _card_text(tn: Turn, card: services.PatientCard, info: BedsideInfo | None) -> str:
    view = card_view(
        card.stay,
        card.surgeries,
        card.items,
        info,
        tn.t,
        now=tn.runtime.clock.now(),
        identifiers=tn.private,
    )
    return card_html(view, tn.t)


def _card_buttons(tn: Turn, stay: Stay) -> InlineKeyboardMarkup:
    # Each button names the ward, the stay and the bed: pressed later, from another ward's
    # context or after the bed changed hands, it acts on this patient or on nobody.
    def go(label: str, command: str) -> InlineKeyboardButton:
        data = f"g:{command}:{stay.ward_id}:{stay.id}:{stay.bed}"
        return InlineKeyboardButton(tn.t(label), callback_data=data)

    return InlineKeyboardMarkup(
        [
            [go("btn.note", "note"), go("btn.op", "op"), go("btn.exam", "exam")],
            [go("btn.critical", "critical"), go("btn.surgery", "surgery"), go("btn.move", "move")],
            [go("btn.tag", "tag"), go("btn.line", "line"), go("btn.sign", "sign")],
        ]
    )


async def _board(tn: Turn, args: list[str]) -> None:
    if args and args[0].lower() in IMAGE_WORDS:
        await send_board_picture(tn, args[0])
        return
    ward, _ = await tn.ward()
    data = await load_board(tn.uow, tn.runtime.clock, ward=ward)
    markup = None
    public = tn.runtime.settings.public_url
    if tn.private and public.startswith("https://") and SCREEN_KEY in tn.runtime.extras:
        # Inside Telegram the Mini App shows the same board live; it needs https.
        button = InlineKeyboardButton(tn.t("board.open_app"), web_app=WebAppInfo(f"{public}/app"))
        markup = InlineKeyboardMarkup([[button]])
    await tn.reply(render_board(data, tn.t, private=tn.private), markup=markup)


async def _cancel(tn: Turn, args: list[str]) -> None:
    ended = await tn.runtime.dialogues.end(tn.uow, tn.chat_id)
    await tn.commit()
    await tn.reply(tn.t("dialogue.cancelled" if ended else "dialogue.none"))


# The actions of this module by command name; bot/table.py says where and for whom.
WARD_COMMANDS: dict[str, Action] = {
    "start": _start,
    "help": _help,
    "newward": _newward,
    "ward": _ward,
    "bind": _bind,
    "unbind": _unbind,
    "lang": _lang,
    "admit": _admit,
    "discharge": _discharge,
    "move": _move,
    "surgery": _surgery,
    "critical": _critical,
    "op": _item_action(ItemKind.OPERATION),
    "exam": _item_action(ItemKind.EXAM),
    "note": _item_action(ItemKind.NOTE),
    "card": _card,
    "board": _board,
    "cancel": _cancel,
}


# --- errors --------------------------------------------------------------------------------


async def on_error(update: object, context: WardContext) -> None:
    """Log the failure without patient data, and tell the nurse nothing was saved."""
    error = context.error
    if error is not None:
        log_failure(log, "unhandled error in a handler", error=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        locale = context.runtime.settings.locale
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_chat.id, texts(locale)("err.internal"))
