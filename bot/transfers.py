"""Transfers through the chat: offer from a list of wards, accept or reject, withdraw.

Buttons: `xo:<ward>:<stay>:<bed>:<to ward>:<bed wanted>` offers, `xc:<ward>:<transfer>`
withdraws, `xa:<ward>:<transfer>` accepts, `xr:<ward>:<transfer>` rejects; each names the
ward it acts in and is re-authorised there when pressed.
"""

from __future__ import annotations

import contextlib
import html
import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import TelegramError

from boards import queries, transfers
from boards.access import occupant
from boards.errors import BadInput, Forbidden
from boards.i18n import Texts, texts
from boards.masking import mask_name
from boards.model import Stay, Transfer, Ward
from boards.text import is_number, typed_number
from bot.turn import Turn, texts_for

__all__ = ["TRANSFER_COMMANDS", "on_transfer_button"]

log = logging.getLogger(__name__)

_SAME = "="  # the bed wanted is the patient's bed number here


async def _transfer(tn: Turn, args: list[str]) -> None:
    """`/transfer 12 [5]`: the wards of the hospital as buttons; `/transfer 12 取消`."""
    ward, _ = await tn.ward()
    request = transfers.parse_transfer_request(args, bed_count=ward.bed_count)
    if request.cancel:
        offer, stay = await transfers.cancel_transfer_of_bed(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=request.bed
        )
        tn.changed(ward.id)
        tn.changed(offer.to_ward_id)
        await tn.commit()
        await tn.reply(tn.t("transfer.cancelled", who=html.escape(tn.who(stay))))
        return
    patient = await occupant(tn.uow, ward, request.bed)
    targets = await transfers.transfer_targets(tn.uow, ward=ward)
    if not targets:
        raise BadInput("err.transfer_no_wards")
    wanted = request.target_bed or _SAME
    rows = [
        [
            InlineKeyboardButton(
                w.name[:40],
                callback_data=f"xo:{ward.id}:{patient.id}:{patient.bed}:{w.id}:{wanted}",
            )
        ]
        for w in targets
    ]
    rows.append([InlineKeyboardButton(tn.t("btn.cancel"), callback_data="xn")])
    await tn.reply(
        tn.t("transfer.choose", who=html.escape(tn.who(patient))),
        markup=InlineKeyboardMarkup(rows),
    )


async def _accept(tn: Turn, args: list[str]) -> None:
    """`/accept 编号 [床号]`: take an offered patient, into the bed wanted or another."""
    ward, _ = await tn.ward()
    number = typed_number(args[0], listed=True) if args and len(args) <= 2 else None
    if number is None:
        raise BadInput("err.missing_args")
    bed = args[1] if len(args) == 2 else None
    await _do_accept(tn, ward, number, bed)


async def _do_accept(tn: Turn, ward: Ward, transfer_id: int, bed: str | None) -> None:
    offer, old, new, source = await transfers.accept_transfer(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, transfer_id=transfer_id, bed=bed
    )
    tn.changed(ward.id)
    tn.changed(source.id)
    await tn.commit()
    await tn.reply(
        tn.t("transfer.accepted", who=html.escape(tn.who(new)), ward=html.escape(source.name))
    )
    sender_t = await texts_for(tn, offer.requested_by, source.locale, source.timezone)
    await _tell(
        tn,
        offer.requested_by,
        sender_t(
            "transfer.accepted_there",
            who=html.escape(f"{sender_t.bed(old.bed)} {old.name}"),
            ward=html.escape(ward.name),
            bed=sender_t.bed(new.bed),
        ),
    )


def _arrival_text(t: Texts, offer: Transfer, stay: Stay, source: Ward) -> str:
    return t(
        "transfer.arrival",
        n=offer.id,
        bed=t.bed(offer.bed_wanted or "?"),
        name=html.escape(mask_name(stay.name)),
        ward=html.escape(source.name),
    )


def _arrival_buttons(t: Texts, offer: Transfer) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("btn.accept"), callback_data=f"xa:{offer.to_ward_id}:{offer.id}"
                ),
                InlineKeyboardButton(
                    t("btn.reject"), callback_data=f"xr:{offer.to_ward_id}:{offer.id}"
                ),
            ]
        ]
    )


async def _tell(
    tn: Turn, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    # Someone who never opened a chat with the bot cannot be written to: the board shows it.
    with contextlib.suppress(TelegramError):
        await tn.context.bot.send_message(chat_id, text, reply_markup=markup)


async def _offer(tn: Turn, parts: list[str]) -> None:
    ward_id, stay_id, bed, target_id, wanted = parts
    if not (is_number(ward_id) and is_number(stay_id) and is_number(target_id)):
        raise Forbidden("err.not_member")
    tn.pin_ward(int(ward_id))
    ward, _ = await tn.ward()
    stay, offer, target = await transfers.offer_transfer(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        ward=ward,
        bed=bed,
        stay_id=int(stay_id),
        target_ward_id=int(target_id),
        target_bed=None if wanted == _SAME else wanted,
    )
    tn.changed(ward.id)
    tn.changed(target.id)
    await tn.commit()
    await _edit(
        tn,
        tn.t(
            "transfer.offered",
            who=html.escape(tn.who(stay)),
            ward=html.escape(target.name),
            bed=tn.t.bed(offer.bed_wanted or stay.bed),
        ),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tn.t("btn.withdraw"), callback_data=f"xc:{ward.id}:{offer.id}"
                    )
                ]
            ]
        ),
    )
    # The receiving ward: its group (masked, as every group message) and its head nurses.
    target_t = texts(target.locale, target.timezone)
    if target.group_chat_id is not None:
        await _tell(
            tn,
            target.group_chat_id,
            _arrival_text(target_t, offer, stay, ward),
            _arrival_buttons(target_t, offer),
        )
    for head in await queries.heads_of(tn.uow, ward_id=target.id):
        head_t = await texts_for(tn, head.user_id, target.locale, target.timezone)
        await _tell(
            tn,
            head.user_id,
            _arrival_text(head_t, offer, stay, ward),
            _arrival_buttons(head_t, offer),
        )


async def _decide(tn: Turn, kind: str, parts: list[str]) -> None:
    ward_id, transfer_id = parts
    if not (is_number(ward_id) and is_number(transfer_id)):
        raise Forbidden("err.not_member")
    tn.pin_ward(int(ward_id))
    ward, _ = await tn.ward()
    if kind == "xa":
        await _do_accept(tn, ward, int(transfer_id), None)
        await _edit(tn, tn.t("transfer.done_by", who=html.escape(tn.actor.name)), None)
        return
    if kind == "xr":
        offer = await transfers.reject_transfer(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, transfer_id=int(transfer_id)
        )
        tn.changed(ward.id)
        tn.changed(offer.from_ward_id)
        await tn.commit()
        await _edit(tn, tn.t("transfer.rejected_by", who=html.escape(tn.actor.name)), None)
        source = await queries.ward(tn.uow, ward_id=offer.from_ward_id)
        stay = await queries.stay(tn.uow, stay_id=offer.stay_id)
        if source is not None and stay is not None:
            sender_t = await texts_for(tn, offer.requested_by, source.locale, source.timezone)
            await _tell(
                tn,
                offer.requested_by,
                sender_t(
                    "transfer.rejected_there",
                    who=html.escape(f"{sender_t.bed(stay.bed)} {stay.name}"),
                    ward=html.escape(ward.name),
                ),
            )
        return
    offer, stay = await transfers.cancel_transfer(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, transfer_id=int(transfer_id)
    )
    tn.changed(ward.id)
    tn.changed(offer.to_ward_id)
    await tn.commit()
    await _edit(tn, tn.t("transfer.cancelled", who=html.escape(tn.who(stay))), None)


async def _edit(tn: Turn, text: str, markup: InlineKeyboardMarkup | None) -> None:
    query = tn.update.callback_query
    if query is None or not isinstance(query.message, Message):
        return
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(text, reply_markup=markup)


async def on_transfer_button(tn: Turn, data: str) -> None:
    query = tn.update.callback_query
    assert query is not None
    kind, *parts = data.split(":")
    if kind == "xn":
        await query.answer()
        await _edit(tn, tn.t("dialogue.cancelled"), None)
        return
    if kind == "xo" and len(parts) == 5:
        await _offer(tn, parts)
    elif kind in ("xa", "xr", "xc") and len(parts) == 2:
        await _decide(tn, kind, parts)
    else:
        raise Forbidden("err.not_member")
    await query.answer()


TRANSFER_COMMANDS = {"transfer": _transfer, "accept": _accept}
