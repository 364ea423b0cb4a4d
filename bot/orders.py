"""The orders and reminders a nurse enters: /med, /meds, /stopmed, /remind, /stopremind, /tasks."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable

from boards import tasks
from boards.commands import parse_bed_only
from boards.errors import BadInput
from boards.model import TaskKind
from boards.schedule import is_external, is_iv
from boards.text import typed_number
from boards.views.tasks import task_list_view
from boards.views.telegram_html import task_list_html
from bot.turn import Turn

__all__ = ["REMINDER_COMMANDS"]

Action = Callable[[Turn, list[str]], Awaitable[None]]


async def _med(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    if len(args) < 2:
        raise BadInput("err.missing_args")
    bed = parse_bed_only(args[:1], bed_count=ward.bed_count)
    parsed = tasks.parse_med_args(args[1:], now=tn.runtime.clock.now(), tz=tn.t.tz)
    done = await tasks.prescribe(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed, args=parsed
    )
    tn.changed(ward.id)
    await tn.commit()
    upcoming = "、".join(
        tn.t.date_hm(x.due_at, now=tn.runtime.clock.now()) for x in done.upcoming[:4]
    )
    await tn.reply(
        tn.t(
            "med.ok",
            who=html.escape(tn.who(done.stay)),
            n=done.number,
            text=html.escape(
                f"{parsed.drug} {parsed.dose} {parsed.route.value} {parsed.freq.value}"
            ),
            next=upcoming or "—",
        )
    )


async def _meds(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    bed = parse_bed_only(args, bed_count=ward.bed_count)
    stay, orders = await tasks.list_orders(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed
    )
    lines = [tn.t("meds.title", who=html.escape(tn.who(stay)))]
    for item in orders:
        o = item.order
        state = "" if item.active else f" · {tn.t('meds.stopped')}"
        # External-use orders are kept visibly apart from IV ones, as on the ward's labels.
        if is_external(o.route):
            state = f" {tn.t('meds.external')}{state}"
        elif is_iv(o.route):
            state = f" {tn.t('meds.iv')}{state}"
        lines.append(
            f"{item.number}. {html.escape(o.drug)} {html.escape(o.dose)} "
            f"{o.route.value} {o.freq.value}{state}"
        )
    if not orders:
        lines.append(tn.t("meds.none"))
    _, reminders = await tasks.list_reminders(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed
    )
    shown = [r for r in reminders if r.active]
    if shown:
        lines.append(tn.t("meds.reminders"))
    now = tn.runtime.clock.now()
    for entry in shown:
        r = entry.reminder
        when = (
            tn.t("remind.daily", time=r.daily_at.strftime("%H:%M"))
            if r.daily_at
            else tn.t.date_hm(r.due_at, now=now)
        )
        lines.append(f"{entry.number}. {when} {html.escape(r.text)}")
    await tn.reply("\n".join(lines))


def _stopper(kind: TaskKind, done_key: str) -> Action:
    """`/stopmed` and `/stopremind`: `床号 编号`, the number as /meds lists it."""

    async def action(tn: Turn, args: list[str]) -> None:
        ward, _ = await tn.ward()
        number = typed_number(args[1], listed=True) if len(args) == 2 else None
        if number is None:
            raise BadInput("err.missing_args")
        bed = parse_bed_only(args[:1], bed_count=ward.bed_count)
        stopped = await tasks.stop(
            tn.uow,
            tn.runtime.clock,
            actor=tn.actor,
            ward=ward,
            bed=bed,
            kind=kind,
            number=number,
        )
        tn.changed(ward.id)
        await tn.commit()
        await tn.reply(
            tn.t(
                done_key,
                who=html.escape(tn.who(stopped.stay)),
                n=stopped.number,
                cancelled=len(stopped.cancelled),
            )
        )

    return action


async def _remind(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    if len(args) < 3:
        raise BadInput("err.missing_args")
    bed = parse_bed_only(args[:1], bed_count=ward.bed_count)
    parsed = tasks.parse_remind_args(args[1:], now=tn.runtime.clock.now(), tz=tn.t.tz)
    stay, _ = await tasks.add_reminder(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed, args=parsed
    )
    tn.changed(ward.id)
    await tn.commit()
    if parsed.daily_at is not None:
        when = tn.t("remind.daily", time=parsed.daily_at.strftime("%H:%M"))
    else:
        assert parsed.due_at is not None
        when = tn.t.date_hm(parsed.due_at, now=tn.runtime.clock.now())
    await tn.reply(
        tn.t("remind.ok", who=html.escape(tn.who(stay)), when=when, text=html.escape(parsed.text))
    )


async def _tasks(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    view = await tasks.tasks_view(tn.uow, tn.runtime.clock, ward=ward)
    await tn.reply(task_list_html(task_list_view(view, tn.t, private=tn.private), tn.t))


REMINDER_COMMANDS = {
    "med": _med,
    "meds": _meds,
    "stopmed": _stopper(TaskKind.MED, "stopmed.ok"),
    "remind": _remind,
    "stopremind": _stopper(TaskKind.REMINDER, "stopremind.ok"),
    "tasks": _tasks,
}
