"""Command, button and text handlers: parse, call a service, commit, reply in her language."""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from boards import bedside, commands, services
from boards.board import post_op_day, render_board
from boards.errors import BadInput, Forbidden, WardError
from boards.i18n import Texts, normalise_locale, texts
from boards.model import ItemKind, MemberStatus, Stay, SurgeryState, Ward
from bot.bedside_handlers import BEDSIDE_COMMANDS, SIGN_PREFIX, open_scanned_sign
from bot.dialogue import CALLBACK_PREFIX, CANCEL, DIALOGUES, SKIP, check_answer, keyboard
from bot.flood import admit
from bot.logsafe import log_failure
from bot.policy import POLICY_COMMANDS
from bot.publisher import load_board
from bot.reminders import REMINDER_COMMANDS, on_task_button
from bot.runtime import WardContext
from bot.turn import Turn, turn

__all__ = ["COMMANDS", "on_callback", "on_error", "on_text"]

log = logging.getLogger(__name__)

Action = Callable[[Turn, list[str]], Awaitable[None]]

INVITE_PREFIX = "j_"


# --- people and wards ----------------------------------------------------------------------


async def _start(tn: Turn, args: list[str]) -> None:
    payload = args[0] if args else ""
    if not tn.private:
        await tn.reply(tn.t("start.group"))
        return
    if payload.startswith(INVITE_PREFIX):
        await _join(tn, payload[len(INVITE_PREFIX) :])
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


async def _join(tn: Turn, code: str) -> None:
    ward, _member, heads = await services.request_join(
        tn.uow, tn.runtime.clock, actor=tn.actor, code=code
    )
    await tn.commit()
    tn.use_ward(ward)
    await tn.reply(tn.t("join.requested", ward=html.escape(ward.name)))
    for head in heads:
        head_t = await _texts_for(tn, head.user_id, ward.locale, ward.timezone)
        await tn.reply(
            head_t("join.ask", name=html.escape(tn.actor.name), ward=html.escape(ward.name)),
            chat_id=head.user_id,
            markup=_decision_buttons(head_t, ward.id, tn.user_id),
        )


def _decision_buttons(t: Texts, ward_id: int, user_id: int) -> InlineKeyboardMarkup:
    """Approve / decline for a join request, in the head nurse's own language."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t("btn.approve"), callback_data=f"j:{ward_id}:{user_id}:y"),
                InlineKeyboardButton(t("btn.decline"), callback_data=f"j:{ward_id}:{user_id}:n"),
            ]
        ]
    )


async def _texts_for(tn: Turn, user_id: int, fallback: str, tz: str) -> Texts:
    prefs = await tn.uow.users.get(user_id)
    return texts(prefs.locale if prefs and prefs.locale else fallback, tz)


async def _help(tn: Turn, args: list[str]) -> None:
    await tn.reply(tn.t("help"))


async def _newward(tn: Turn, args: list[str]) -> None:
    if not tn.private:
        raise Forbidden("err.private_only")
    if not args:
        raise BadInput("err.missing_args")
    bed_count = None
    words = list(args)
    if len(words) > 1 and words[-1].isdigit():
        bed_count = int(words.pop())
    ward = await services.create_ward(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        name=" ".join(words),
        timezone=tn.runtime.settings.timezone,
        locale=tn.t.locale,
        bed_count=bed_count,
    )
    await tn.commit()
    tn.use_ward(ward)
    await tn.reply(tn.t("newward.ok", ward=html.escape(ward.name)))


async def _invite(tn: Turn, args: list[str]) -> None:
    if not tn.private:
        raise Forbidden("err.private_only")
    ward, _ = await tn.ward()
    invite = await services.create_invite(tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward)
    await tn.commit()
    link = f"https://t.me/{tn.context.bot.username}?start={INVITE_PREFIX}{invite.code}"
    await tn.reply(
        tn.t(
            "invite.ok",
            ward=html.escape(ward.name),
            link=link,
            until=tn.t.date_hm(invite.expires_at, now=tn.runtime.clock.now()),
        )
    )


async def _members(tn: Turn, args: list[str]) -> None:
    ward, me = await tn.ward()
    people = [
        m
        for m in await tn.uow.members.of_ward(ward.id)
        if m.status in (MemberStatus.APPROVED, MemberStatus.PENDING)
    ]
    lines = [tn.t("members.title", ward=html.escape(ward.name), n=len(people))]
    rows: list[list[InlineKeyboardButton]] = []
    for m in sorted(people, key=lambda m: (not m.is_head, m.status.value, m.display_name)):
        role = tn.t("role.head") if m.is_head else tn.t(f"member.{m.status.value}")
        lines.append(f"• {html.escape(m.display_name)} · {role}")
        if not me.is_head or m.user_id == me.user_id or not tn.private:
            continue
        if m.status is MemberStatus.PENDING:
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{tn.t('btn.approve')} {m.display_name}"[:40],
                        callback_data=f"j:{ward.id}:{m.user_id}:y",
                    ),
                    InlineKeyboardButton(
                        tn.t("btn.decline"), callback_data=f"j:{ward.id}:{m.user_id}:n"
                    ),
                ]
            )
        else:
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{tn.t('btn.remove')} {m.display_name}"[:40],
                        callback_data=f"m:rm:{ward.id}:{m.user_id}",
                    ),
                    InlineKeyboardButton(
                        tn.t("btn.make_head"), callback_data=f"m:hd:{ward.id}:{m.user_id}"
                    ),
                ]
            )
    await tn.reply("\n".join(lines), markup=InlineKeyboardMarkup(rows) if rows else None)


async def _ward(tn: Turn, args: list[str]) -> None:
    if not tn.private:
        raise Forbidden("err.private_only")
    if args:
        ward = await services.switch_ward(tn.uow, actor=tn.actor, name=" ".join(args))
        await tn.commit()
        tn.use_ward(ward)
        await tn.reply(tn.t("ward.switched", ward=html.escape(ward.name)))
        return
    memberships = [m for m in await tn.uow.members.of_user(tn.user_id) if m.approved]
    if not memberships:
        raise WardError("err.no_ward")
    wards = await tn.uow.wards.many([m.ward_id for m in memberships])
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


async def _bind(tn: Turn, args: list[str]) -> None:
    if tn.private:
        raise Forbidden("err.group_only")
    ward, _ = await services.current_ward(tn.uow, user_id=tn.user_id)
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


async def _transfer(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    a = commands.parse_transfer(args, bed_count=ward.bed_count)
    old, new, target = await services.transfer_out(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        ward=ward,
        bed=a.bed,
        target_name=a.ward,
        target_bed=a.target_bed,
    )
    tn.changed(ward.id)
    tn.changed(target.id)
    await tn.commit()
    await tn.reply(
        tn.t(
            "transfer.ok",
            who=html.escape(tn.who(old)),
            ward=html.escape(target.name),
            bed=tn.t.bed(new.bed),
        )
    )


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
        await tn.commit()
        await tn.reply(
            tn.t(
                f"item.ok_{kind.value}",
                who=html.escape(tn.who(stay)),
                text=html.escape(item.text),
                when=tn.t.date_hm(item.at, now=tn.runtime.clock.now()),
            )
        )

    return action


async def _card(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    if not tn.private:
        raise Forbidden("err.card_private")
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


def _card_text(tn: Turn, card: services.PatientCard, info: bedside.BedsideInfo | None) -> str:
    t, s, now = tn.t, card.stay, tn.runtime.clock.now()
    lines = [
        t("card.title", bed=t.bed(s.bed), name=html.escape(s.name)),
        " · ".join(
            filter(
                None,
                [
                    t(f"sex.{s.sex.value}"),
                    t(f"age.{s.age.unit}", n=s.age.value),
                    t(f"level.{s.level.value}") if s.level else None,
                    f"<b>{t('critical.' + s.critical.value)}</b>" if s.critical else None,
                ],
            )
        ),
        t("card.diagnosis", text=html.escape(s.diagnosis or "—")),
        t("card.admitted", when=f"{t.date(s.admitted_at)} {t.hm(s.admitted_at)}"),
    ]
    for op in sorted(card.surgeries, key=lambda o: o.scheduled_at):
        if op.state is SurgeryState.CANCELLED:
            continue
        day = post_op_day(op, now, t.tz)
        extra = f" · {t('board.post_op_day', n=day)}" if day else ""
        lines.append(
            t(
                "card.surgery",
                when=t.date_hm(op.scheduled_at, now=now),
                procedure=html.escape(op.procedure),
                state=t("surgery." + op.state.value),
            )
            + extra
        )
    for item in sorted(card.items, key=lambda i: i.at):
        lines.append(t(f"card.{item.kind.value}", when=t.hm(item.at), text=html.escape(item.text)))
    if info is not None:
        lines.extend(_card_bedside(tn, info))
    lines.append("")
    lines.append(t("card.wristband"))
    return "\n".join(lines)


def _card_bedside(tn: Turn, info: bedside.BedsideInfo) -> list[str]:
    t, zh = tn.t, tn.t.locale.startswith("zh")
    lines = []
    for entry in info.tags:
        name = entry.kind.name_zh if zh else entry.kind.name_en
        detail = f"：{entry.tag.detail}" if entry.tag.detail else ""
        lines.append(t("card.tag", tag=html.escape(name + detail)))
    for line in info.lines:
        name = line.kind.name_zh if zh else line.kind.name_en
        extra = " · ".join(html.escape(p) for p in (line.line.site, line.line.purpose) if p)
        text = t(
            "card.line",
            n=line.number,
            line=html.escape(name),
            when=t.date(line.line.inserted_at),
            day=line.dwell_day,
            extra=f" · {extra}" if extra else "",
        )
        lines.append(f"<b>{text} {t('card.line_overdue')}</b>" if line.overdue else text)
    if info.needs_reprint:
        lines.append(t("card.sign_reprint"))
    elif info.printed_at is None:
        lines.append(t("card.sign_missing"))
    return lines


def _card_buttons(tn: Turn, stay: Stay) -> InlineKeyboardMarkup:
    def go(label: str, command: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(tn.t(label), callback_data=f"g:{command}:{stay.bed}")

    return InlineKeyboardMarkup(
        [
            [go("btn.note", "note"), go("btn.op", "op"), go("btn.exam", "exam")],
            [go("btn.critical", "critical"), go("btn.surgery", "surgery"), go("btn.move", "move")],
            [go("btn.tag", "tag"), go("btn.line", "line"), go("btn.sign", "sign")],
        ]
    )


async def _board(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    data = await load_board(tn.uow, tn.runtime.clock, ward=ward)
    await tn.reply(render_board(data, tn.t, private=tn.private))


async def _cancel(tn: Turn, args: list[str]) -> None:
    ended = tn.runtime.dialogues.end(tn.chat_id)
    await tn.reply(tn.t("dialogue.cancelled" if ended else "dialogue.none"))


COMMANDS: dict[str, Action] = {
    "start": _start,
    "help": _help,
    "newward": _newward,
    "invite": _invite,
    "members": _members,
    "ward": _ward,
    "bind": _bind,
    "unbind": _unbind,
    "lang": _lang,
    "admit": _admit,
    "discharge": _discharge,
    "move": _move,
    "transfer": _transfer,
    "surgery": _surgery,
    "critical": _critical,
    "op": _item_action(ItemKind.OPERATION),
    "exam": _item_action(ItemKind.EXAM),
    "note": _item_action(ItemKind.NOTE),
    "card": _card,
    "board": _board,
    "cancel": _cancel,
    **BEDSIDE_COMMANDS,
    **REMINDER_COMMANDS,
    **POLICY_COMMANDS,
}


def command_handler(name: str) -> Callable[[Update, WardContext], Coroutine[Any, Any, None]]:
    """The PTB callback for one command: a dialogue when typed bare in a private chat."""
    action = COMMANDS[name]

    async def handle(update: Update, context: WardContext) -> None:
        if not await admit(update, context):
            return
        args = list(context.args or [])
        async with turn(update, context, name) as tn:
            if not args and name in DIALOGUES:
                if not tn.private:
                    raise BadInput("err.missing_args")
                await tn.ward()
                tn.runtime.dialogues.start(tn.chat_id, name)
                await _ask(tn)
                return
            tn.runtime.dialogues.end(tn.chat_id)
            await action(tn, args)

    return handle


# --- dialogues -----------------------------------------------------------------------------


async def _ask(tn: Turn) -> None:
    dialogue = tn.runtime.dialogues.get(tn.chat_id)
    assert dialogue is not None
    if dialogue.done:
        tn.runtime.dialogues.end(tn.chat_id)
        tn.command = dialogue.command
        await COMMANDS[dialogue.command](tn, dialogue.args)
        return
    step = dialogue.step
    beds: Sequence[str] = ()
    if step.kind.value == "occupied":
        ward, _ = await tn.ward()
        beds = [s.bed for s in await tn.uow.stays.active(ward.id)]
        if not beds:
            tn.runtime.dialogues.end(tn.chat_id)
            await tn.reply(tn.t("dialogue.no_patients"))
            return
    await tn.reply(tn.t(step.prompt), markup=keyboard(step, tn.t, beds=beds))


async def _answer(tn: Turn, answer: str | None) -> None:
    dialogue = tn.runtime.dialogues.get(tn.chat_id)
    if dialogue is None:
        await tn.reply(tn.t("dialogue.none"))
        return
    tn.command = dialogue.command
    ward, _ = await tn.ward()
    step = dialogue.step
    if answer is None:
        if not step.optional:
            raise BadInput("err.text_empty")
    else:
        try:
            value = check_answer(
                step, answer, bed_count=ward.bed_count, t=tn.t, now=tn.runtime.clock.now()
            )
        except WardError as error:
            # Ask the same question again rather than dropping what was already given.
            await tn.reply(f"{tn.explain(error)}\n{tn.t(step.prompt)}")
            return
        if (
            step.kind.value == "occupied"
            and await tn.uow.stays.active_in_bed(ward.id, value) is None
        ):
            await tn.reply(f"{tn.t('err.bed_empty', bed=value)}\n{tn.t(step.prompt)}")
            return
    dialogue.give(None if answer is None else value)
    await _ask(tn)


async def on_text(update: Update, context: WardContext) -> None:
    """Plain text in a private chat answers the open dialogue's question."""
    message = update.effective_message
    if message is None or message.text is None or not await admit(update, context):
        return
    async with turn(update, context, None) as tn:
        if tn.runtime.dialogues.get(tn.chat_id) is None:
            await tn.reply(tn.t("text.unknown"))
            return
        await _answer(tn, message.text)


# --- buttons -------------------------------------------------------------------------------


async def on_callback(update: Update, context: WardContext) -> None:
    query = update.callback_query
    if query is None or query.data is None or not await admit(update, context):
        return
    data = query.data
    async with turn(update, context, None) as tn:
        try:
            if data.startswith(CALLBACK_PREFIX):
                await query.answer()
                if data == CANCEL:
                    tn.runtime.dialogues.end(tn.chat_id)
                    await tn.reply(tn.t("dialogue.cancelled"))
                else:
                    await _answer(tn, None if data == SKIP else data[len(CALLBACK_PREFIX) :])
            elif data.startswith("t:"):
                await on_task_button(tn, data)
            elif data.startswith("j:"):
                await _decide_join(tn, data)
            elif data.startswith("m:"):
                await _member_action(tn, data)
            elif data.startswith("w:"):
                ward_id = int(data[2:])
                ward = await tn.uow.wards.get(ward_id)
                if ward is None:
                    raise Forbidden("err.not_member")
                await services.switch_ward(tn.uow, actor=tn.actor, name=ward.name)
                await tn.commit()
                tn.use_ward(ward)
                await query.answer()
                await tn.reply(tn.t("ward.switched", ward=html.escape(ward.name)))
            elif data.startswith("g:"):
                _, command, bed = data.split(":", 2)
                await query.answer()
                if command not in DIALOGUES:
                    return
                await tn.ward()
                tn.runtime.dialogues.start(tn.chat_id, command, [bed])
                tn.command = command
                await _ask(tn)
            else:
                await query.answer()
        except WardError as error:
            # A button refusal is shown on the button press itself, as well as in the chat.
            await query.answer(tn.t(error.key, **error.params)[:190], show_alert=True)
            raise


async def _decide_join(tn: Turn, data: str) -> None:
    _, ward_id, user_id, verdict = data.split(":")
    query = tn.update.callback_query
    assert query is not None
    approve = verdict == "y"
    ward, member = await services.acknowledge_join(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        ward_id=int(ward_id),
        user_id=int(user_id),
        approve=approve,
    )
    await tn.commit()
    tn.use_ward(ward)
    await query.answer()
    key = "join.approved_by" if approve else "join.declined_by"
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(
            tn.t(
                key,
                name=html.escape(member.display_name),
                head=html.escape(tn.actor.name),
                when=tn.t.hm(tn.runtime.clock.now()),
            )
        )
    nurse_t = await _texts_for(tn, member.user_id, ward.locale, ward.timezone)
    with contextlib.suppress(TelegramError):
        await tn.reply(
            nurse_t("join.welcome" if approve else "join.declined", ward=html.escape(ward.name)),
            chat_id=member.user_id,
        )


async def _member_action(tn: Turn, data: str) -> None:
    _, action, ward_id, user_id = data.split(":")
    query = tn.update.callback_query
    assert query is not None
    ward = await tn.uow.wards.get(int(ward_id))
    if ward is None:
        raise Forbidden("err.not_member")
    tn.use_ward(ward)
    if action == "rm":
        member = await services.remove_member(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, user_id=int(user_id)
        )
        key = "members.removed"
    else:
        member = await services.hand_over_head(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, user_id=int(user_id)
        )
        key = "members.head_changed"
    await tn.commit()
    await query.answer()
    await tn.reply(tn.t(key, name=html.escape(member.display_name), ward=html.escape(ward.name)))


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
