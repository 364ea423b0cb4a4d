"""Bedside commands: warning tags, lines, printed QR signs, and opening a card from a scan."""

from __future__ import annotations

import asyncio
import html
import logging
from datetime import datetime

from telegram import InputFile

from boards import bedside, commands, tasks
from boards.access import occupant
from boards.errors import BadInput, WardError
from boards.model import Stay, Ward
from boards.signs import (
    render_line_label_png,
    render_sign_pdf,
    render_sign_png,
    render_signs_pdf,
)
from boards.text import excerpt
from bot.turn import Turn

__all__ = ["BEDSIDE_COMMANDS", "SIGN_PREFIX", "deep_link", "open_scanned_sign"]

log = logging.getLogger(__name__)

# `/start s_<token>` opens a card; `j_` is taken by invites, so the two never collide.
SIGN_PREFIX = "s_"
_NEW_TOKEN_WORDS = {"new", "新", "新码", "换码", "重新生成"}


def deep_link(tn: Turn, stay: Stay) -> str:
    return f"https://t.me/{tn.context.bot.username}?start={SIGN_PREFIX}{stay.token}"


def _bed(tn: Turn, ward: Ward, args: list[str]) -> tuple[str, list[str]]:
    if not args:
        raise BadInput("err.missing_args")
    return commands.parse_bed_only(args[:1], bed_count=ward.bed_count), args[1:]


async def _tag(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed, rest = _bed(tn, ward, args)
    # Read once for the parse and the tag itself.
    catalogue = await bedside.ward_catalogue(tn.uow, ward)
    kinds = catalogue.enabled
    word, detail = bedside.parse_tag_args(rest, kinds=kinds)
    stay, tag = await bedside.tag_patient(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        ward=ward,
        bed=bed,
        word=word,
        detail=detail,
        catalogue=catalogue,
    )
    tn.changed(ward.id)
    await tn.commit()
    kind = next(k for k in kinds if k.code == tag.code)
    name = tn.t.pick(kind.name_zh, kind.name_en)
    # The group sees that a tag exists, never its detail (allergens are patient data).
    shown = f"{name}：{tag.detail}" if tag.detail and tn.private else name
    await tn.reply(tn.t("tag.ok", who=html.escape(tn.who(stay)), tag=html.escape(shown)))


async def _untag(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed, rest = _bed(tn, ward, args)
    if not rest:
        raise BadInput("err.missing_args")
    # Read once for the untag and the reply's name of the tag.
    catalogue = await bedside.ward_catalogue(tn.uow, ward)
    stay, tag = await bedside.untag_patient(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        ward=ward,
        bed=bed,
        word=" ".join(rest),
        catalogue=catalogue,
    )
    tn.changed(ward.id)
    await tn.commit()
    kind = next((k for k in catalogue.enabled if k.code == tag.code), None)
    name = tag.code if kind is None else tn.t.pick(kind.name_zh, kind.name_en)
    await tn.reply(tn.t("untag.ok", who=html.escape(tn.who(stay)), tag=html.escape(name)))


async def _line(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed, rest = _bed(tn, ward, args)
    word, site, inserted, purpose = bedside.parse_line_args(
        rest, now=tn.runtime.clock.now(), tz=tn.t.tz
    )
    stay, line = await bedside.add_line(
        tn.uow,
        tn.runtime.clock,
        actor=tn.actor,
        ward=ward,
        bed=bed,
        word=word,
        site=site,
        inserted_at=inserted,
        purpose=purpose,
    )
    # Care tasks follow the lines: new ones get theirs, removed ones lose the future ones.
    await tasks.sync_line_care(tn.uow, tn.runtime.clock, ward=ward)
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(
        tn.t(
            "line.ok",
            who=html.escape(tn.who(stay)),
            line=html.escape(word),
            when=_when_inserted(tn, line.inserted_at),
        )
    )


async def _unline(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed, rest = _bed(tn, ward, args)
    if not rest:
        raise BadInput("err.missing_args")
    stay, line = await bedside.remove_line(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed, word_or_number=" ".join(rest)
    )
    # Care tasks follow the lines: new ones get theirs, removed ones lose the future ones.
    await tasks.sync_line_care(tn.uow, tn.runtime.clock, ward=ward)
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(tn.t("unline.ok", who=html.escape(tn.who(stay)), line=html.escape(line.code)))


async def _sign(tn: Turn, args: list[str]) -> None:
    """`/sign 12` prints the bed's sign; `/sign 12 new` also retires the old QR code."""
    ward, _ = await tn.ward()
    bed, rest = _bed(tn, ward, args)
    if rest and rest[0].lower() not in _NEW_TOKEN_WORDS:
        raise BadInput("err.extra_args")
    stay = await bedside.issue_sign(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed, new_token=bool(rest)
    )
    view = await bedside.bedside_view(tn.uow, tn.runtime.clock, ward=ward, stays=[stay])
    sign = bedside.build_bed_sign(
        ward, stay, view[stay.id], deep_link=deep_link(tn, stay), now=tn.runtime.clock.now()
    )
    tn.changed(ward.id)
    await tn.commit()
    words = bedside.sign_words(ward.locale)
    png, pdf = await asyncio.gather(
        asyncio.to_thread(render_sign_png, sign, words=words),
        asyncio.to_thread(render_sign_pdf, sign, words=words),
    )
    caption = tn.t("sign.ok_new" if rest else "sign.ok", bed=html.escape(tn.t.bed(stay.bed)))
    await tn.context.bot.send_photo(tn.chat_id, photo=png, caption=caption)
    await tn.context.bot.send_document(
        tn.chat_id, document=InputFile(pdf, filename=f"sign-bed-{_file_bed(stay.bed)}.pdf")
    )


async def _signs(tn: Turn, args: list[str]) -> None:
    """One print-ready PDF with the signs of every occupied bed."""
    ward, _ = await tn.ward()
    if args and args[0].lower() not in _NEW_TOKEN_WORDS:
        raise BadInput("err.extra_args")
    stays = await bedside.issue_signs(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, new_token=bool(args)
    )
    if not stays:
        raise WardError("dialogue.no_patients")
    view = await bedside.bedside_view(tn.uow, tn.runtime.clock, ward=ward, stays=stays)
    now = tn.runtime.clock.now()
    signs = [
        bedside.build_bed_sign(ward, s, view[s.id], deep_link=deep_link(tn, s), now=now)
        for s in stays
    ]
    tn.changed(ward.id)
    await tn.commit()
    pdf = await asyncio.to_thread(render_signs_pdf, signs, words=bedside.sign_words(ward.locale))
    await tn.context.bot.send_document(
        tn.chat_id,
        document=InputFile(pdf, filename="ward-signs.pdf"),
        caption=tn.t("signs.ok", n=len(signs)),
    )


async def _labels(tn: Turn, args: list[str]) -> None:
    """A printable label per line in place: type, insertion date, dwell limit, purpose."""
    ward, _ = await tn.ward()
    bed, rest = _bed(tn, ward, args)
    if rest:
        raise BadInput("err.extra_args")
    stay = await occupant(tn.uow, ward, bed)
    view = await bedside.bedside_view(tn.uow, tn.runtime.clock, ward=ward, stays=[stay])
    sign = bedside.build_bed_sign(
        ward, stay, view[stay.id], deep_link=deep_link(tn, stay), now=tn.runtime.clock.now()
    )
    if not sign.lines:
        raise BadInput("err.no_lines", bed=bed)
    words = bedside.sign_words(ward.locale)
    for number, line in enumerate(sign.lines, start=1):
        png = await asyncio.to_thread(
            render_line_label_png,
            line,
            bed_label=sign.bed_label,
            masked_name=sign.masked_name,
            words=words,
        )
        await tn.context.bot.send_photo(
            tn.chat_id,
            photo=png,
            caption=tn.t("labels.ok", bed=html.escape(tn.t.bed(bed)), n=number),
        )


async def _tags(tn: Turn, args: list[str]) -> None:
    """The ward's warning tags; the head nurse switches them on and off and adds her own."""
    ward, _ = await tn.ward()
    if args:
        action, words = args[0].lower(), " ".join(args[1:])
        if not words:
            raise BadInput("err.missing_args")
        clock = tn.runtime.clock
        if action in ("off", "停用", "关闭"):
            kind = await bedside.disable_tag(tn.uow, clock, actor=tn.actor, ward=ward, word=words)
            key = "tags.disabled"
        elif action in ("on", "启用", "开启"):
            kind = await bedside.enable_tag(tn.uow, clock, actor=tn.actor, ward=ward, word=words)
            key = "tags.enabled"
        elif action in ("add", "新增", "添加"):
            name, *colour = args[1:]
            if colour:
                kind = await bedside.add_custom_tag(
                    tn.uow, clock, actor=tn.actor, ward=ward, name_zh=name, colour=colour[0]
                )
            else:
                kind = await bedside.add_custom_tag(
                    tn.uow, clock, actor=tn.actor, ward=ward, name_zh=name
                )
            key = "tags.added"
        else:
            raise BadInput("err.tags_action", value=excerpt(action, 12))
        tn.changed(ward.id)
        await tn.commit()
        await tn.reply(tn.t(key, tag=html.escape(tn.t.pick(kind.name_zh, kind.name_en))))
        return
    kinds = await bedside.ward_tag_kinds(tn.uow, ward=ward)
    off = await bedside.disabled_tag_codes(tn.uow, ward=ward)
    lines = [tn.t("tags.title", ward=html.escape(ward.name))]
    for k in kinds:
        name, badge = tn.t.pick(k.name_zh, k.name_en), tn.t.pick(k.badge_zh, k.badge_en)
        lines.append(f"• {html.escape(name)}（{html.escape(badge)}）")
    if off:
        lines.append(tn.t("tags.off_list", codes=html.escape("、".join(off))))
    await tn.reply("\n".join(lines))


def _when_inserted(tn: Turn, when: datetime) -> str:
    # A line entered with a date only was inserted "that day", not at midnight.
    hm = tn.t.hm(when)
    return tn.t.date(when) if hm == "00:00" else f"{tn.t.date(when)} {hm}"


def _file_bed(bed: str) -> str:
    return bed.replace("+", "extra")


async def open_scanned_sign(tn: Turn, token: str) -> Stay | None:
    """The stay behind a scanned sign, for a ward member; None (and an audit entry) else."""
    opened = await bedside.scan_sign(tn.uow, tn.runtime.clock, actor=tn.actor, token=token)
    # Kept either way: the scan's audit entry is all this transaction wrote.
    await tn.commit()
    if opened is None:
        return None
    ward, stay = opened
    tn.use_ward(ward)
    return stay


BEDSIDE_COMMANDS = {
    "tag": _tag,
    "untag": _untag,
    "line": _line,
    "unline": _unline,
    "sign": _sign,
    "signs": _signs,
    "labels": _labels,
    "tags": _tags,
}
