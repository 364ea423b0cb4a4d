"""Membership in the chat: invite links, join requests and their buttons, the member list."""

from __future__ import annotations

import contextlib
import html

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import TelegramError

from boards import membership, queries
from boards.errors import Forbidden
from boards.i18n import Texts
from boards.model import Member, MemberStatus
from boards.text import BIGINT_MAX, is_number
from bot.turn import Turn, texts_for

__all__ = [
    "INVITE_PREFIX",
    "MEMBERSHIP_COMMANDS",
    "on_join_button",
    "on_member_button",
    "open_invite",
]

# `/start j_<code>` opens an invite; `s_` is taken by bedside signs.
INVITE_PREFIX = "j_"


def _identity(t: Texts, member: Member) -> str:
    """@username and Telegram id: what tells two people called 李娜 apart."""
    username = f"@{member.username}" if member.username else t("join.no_username")
    return t("join.identity", username=html.escape(username), id=member.user_id)


async def open_invite(tn: Turn, code: str) -> None:
    """A nurse opened an invite link: she asks to join; the head nurse is asked once."""
    user = tn.update.effective_user
    request = await membership.request_join(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        code=code,
        username=user.username if user is not None else None,
    )
    ward = request.ward
    await tn.commit()
    tn.use_ward(ward)
    await tn.reply(tn.t("join.requested", ward=html.escape(ward.name)))
    for head in request.heads:
        head_t = await texts_for(tn, head.user_id, ward.locale, ward.timezone)
        await tn.reply(
            head_t(
                "join.ask",
                name=html.escape(request.member.display_name),
                ward=html.escape(ward.name),
                identity=_identity(head_t, request.member),
            ),
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


async def _invite(tn: Turn, args: list[str]) -> None:
    """`/invite [people]` makes a link (single-use by default); `/invite off` revokes them."""
    if not tn.private:
        raise Forbidden("err.private_only")
    ward, me = await tn.ward()
    if not me.is_head:
        # Before the form: a nurse is told she may not, not how to type it.
        raise Forbidden("err.head_only")
    uses = membership.parse_invite_args(args)
    if uses is None:
        revoked = await membership.revoke_invites(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward
        )
        await tn.commit()
        key = "invite.revoked" if revoked else "invite.revoked_none"
        await tn.reply(tn.t(key, ward=html.escape(ward.name), n=revoked))
        return
    invite = await membership.create_invite(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, uses=uses
    )
    await tn.commit()
    link = f"https://t.me/{tn.context.bot.username}?start={INVITE_PREFIX}{invite.code}"
    await tn.reply(
        tn.t(
            "invite.ok",
            ward=html.escape(ward.name),
            link=link,
            n=invite.max_uses,
            until=tn.t.date_hm(invite.expires_at, now=tn.runtime.clock.now()),
        )
    )


async def _members(tn: Turn, args: list[str]) -> None:
    ward, me = await tn.ward()
    people = await queries.listed_members(tn.uow, ward_id=ward.id)
    lines = [tn.t("members.title", ward=html.escape(ward.name), n=len(people))]
    rows: list[list[InlineKeyboardButton]] = []
    hospital = await tn.hospital()
    # Once the hospital has operators, only they name head nurses.
    names_heads = hospital.open or hospital.is_operator(tn.user_id)
    for m in sorted(people, key=lambda m: (not m.is_head, m.status.value, m.display_name)):
        role = tn.t("role.head") if m.is_head else tn.t(f"member.{m.status.value}")
        line = f"• {html.escape(m.display_name)} · {role}"
        pending = m.status is MemberStatus.PENDING
        lines.append(f"{line} · {_identity(tn.t, m)}" if pending else line)
        if not me.is_head or m.user_id == me.user_id or not tn.private:
            continue
        if pending:
            # Two people may share a display name: the button says which one it approves.
            tell = f"@{m.username}" if m.username else f"ID {m.user_id}"
            rows.append(
                [
                    InlineKeyboardButton(
                        f"{tn.t('btn.approve')} {m.display_name} {tell}"[:40],
                        callback_data=f"j:{ward.id}:{m.user_id}:y",
                    ),
                    InlineKeyboardButton(
                        tn.t("btn.decline"), callback_data=f"j:{ward.id}:{m.user_id}:n"
                    ),
                ]
            )
        else:
            row = [
                InlineKeyboardButton(
                    f"{tn.t('btn.remove')} {m.display_name}"[:40],
                    callback_data=f"m:rm:{ward.id}:{m.user_id}",
                )
            ]
            if names_heads:
                row.append(
                    InlineKeyboardButton(
                        tn.t("btn.make_head"), callback_data=f"m:hd:{ward.id}:{m.user_id}"
                    )
                )
            rows.append(row)
    await tn.reply("\n".join(lines), markup=InlineKeyboardMarkup(rows) if rows else None)


async def on_join_button(tn: Turn, data: str) -> None:
    """`j:<ward>:<user>:y|n`: the head nurse approves or declines a request."""
    parts = data.split(":")
    if (
        len(parts) != 4
        or parts[3] not in ("y", "n")
        or not (is_number(parts[1]) and is_number(parts[2], most=BIGINT_MAX))
    ):
        raise Forbidden("err.not_member")
    _, ward_id, user_id, verdict = parts
    query = tn.update.callback_query
    assert query is not None
    approve = verdict == "y"
    ward, member = await membership.acknowledge_join(
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
    nurse_t = await texts_for(tn, member.user_id, ward.locale, ward.timezone)
    with contextlib.suppress(TelegramError):
        await tn.reply(
            nurse_t("join.welcome" if approve else "join.declined", ward=html.escape(ward.name)),
            chat_id=member.user_id,
        )


async def on_member_button(tn: Turn, data: str) -> None:
    """`m:rm|hd:<ward>:<user>`: the head nurse removes a member or hands over to her."""
    parts = data.split(":")
    if (
        len(parts) != 4
        or parts[1] not in ("rm", "hd")
        or not (is_number(parts[2]) and is_number(parts[3], most=BIGINT_MAX))
    ):
        raise Forbidden("err.not_member")
    _, action, ward_id, user_id = parts
    query = tn.update.callback_query
    assert query is not None
    ward = await queries.ward(tn.uow, ward_id=int(ward_id))
    if ward is None:
        raise Forbidden("err.not_member")
    tn.use_ward(ward)
    if action == "rm":
        member = await membership.remove_member(
            tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, user_id=int(user_id)
        )
        key = "members.removed"
    else:
        member = await membership.hand_over_head(
            tn.uow,
            tn.runtime.clock,
            actor=tn.actor,
            hospital=await tn.hospital(),
            ward=ward,
            user_id=int(user_id),
        )
        key = "members.head_changed"
    await tn.commit()
    await query.answer()
    await tn.reply(tn.t(key, name=html.escape(member.display_name), ward=html.escape(ward.name)))


MEMBERSHIP_COMMANDS = {
    "invite": _invite,
    "members": _members,
}
