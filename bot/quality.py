"""The quality loop's commands: /event, /events (correct, retract, safety days), /report."""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import InputFile
from telegram.constants import ParseMode
from telegram.error import TelegramError

from boards import commands, quality, tasks
from boards.errors import BadInput
from boards.i18n import Texts
from boards.model import Stay, Ward
from boards.quality import checks
from boards.quality.figures import shifted_month
from boards.quality_model import QC_DOMAINS, AdverseEvent, EventStatus
from boards.schedule import Shift
from boards.tasks import get_policy
from bot.turn import Turn, texts_for

__all__ = ["QUALITY_COMMANDS", "event_line"]

# How far back /events looks, and how many lines a list shows (one Telegram message).
EVENTS_DAYS = 30
LIST_LIMIT = 30
_FIX = {"fix", "correct", "更正", "修改", "纠正"}
_RETRACT = {"retract", "撤销", "撤回", "作废"}
_SAFETY = {"safety", "安全", "安全天数"}


def event_line(t: Texts, event: AdverseEvent, stay: Stay | None) -> str:
    """`#3 11-20 14:30 12床 张三 跌倒（轻度）`, with its state when not active."""
    name = stay.name if stay is not None else ""
    status = "" if event.status is EventStatus.ACTIVE else t(f"event.status.{event.status.value}")
    text = t(
        "event.line",
        number=event.id,
        when=f"{t.date(event.occurred_at)} {t.hm(event.occurred_at)}",
        bed=t.bed(event.bed),
        name=html.escape(name),
        type=t(f"quality.type.{event.type.value}"),
        severity=t(f"quality.severity.{event.severity.value}"),
    )
    if event.details:
        text += f"：{html.escape(event.details)}"
    return f"{text} {status}".rstrip()


async def _tell(tn: Turn, chat_id: int, text: str) -> None:
    # A head nurse who never opened a chat with the bot cannot be written to.
    with contextlib.suppress(TelegramError):
        await tn.context.bot.send_message(chat_id, text, parse_mode=ParseMode.HTML)


async def _event(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    if not args:
        raise BadInput("err.missing_args")
    bed = commands.parse_bed_only(args[:1], bed_count=ward.bed_count)
    request = quality.parse_event_args(args[1:], now=tn.runtime.clock.now(), tz=tn.t.tz)
    stay, event = await quality.record_event(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, bed=bed, request=request
    )
    if event.line_id is not None:
        # The line came out: its future care tasks go with it, as after /unline.
        await tasks.sync_line_care(tn.uow, tn.runtime.clock, ward=ward)
    heads = [m for m in await tn.uow.members.of_ward(ward.id) if m.is_head]
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(tn.t("event.ok", event=event_line(tn.t, event, stay)))
    for head in heads:
        if head.user_id == tn.user_id:
            continue
        head_t = await texts_for(tn, head.user_id, ward.locale, ward.timezone)
        await _tell(
            tn,
            head.user_id,
            head_t(
                "event.head_notice",
                ward=html.escape(ward.name),
                event=event_line(head_t, event, stay),
                who=html.escape(tn.actor.name),
            ),
        )


async def _events(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    clock = tn.runtime.clock
    if args:
        action = args[0].lower()
        if action in _SAFETY:
            settings = await quality.set_safety_types(
                tn.uow, clock, actor=tn.actor, ward=ward, words=args[1:]
            )
            tn.changed(ward.id)
            await tn.commit()
            names = "、".join(tn.t(f"quality.type.{k.value}") for k in settings.safety_types)
            await tn.reply(tn.t("events.safety_ok", types=names))
            return
        if action in _FIX | _RETRACT:
            if len(args) < 2:
                raise BadInput("err.missing_args")
            if action in _FIX:
                event = await quality.correct_event(
                    tn.uow, clock, actor=tn.actor, ward=ward, number=args[1], words=args[2:]
                )
                key = "events.corrected"
            else:
                reason = " ".join(args[2:]) or None
                event = await quality.retract_event(
                    tn.uow, clock, actor=tn.actor, ward=ward, number=args[1], reason=reason
                )
                key = "events.retracted"
            stay = next(iter(await tn.uow.stays.many([event.stay_id])), None)
            tn.changed(ward.id)
            await tn.commit()
            await tn.reply(tn.t(key, event=event_line(tn.t, event, stay)))
            return
        raise BadInput("err.events_action", value=html.escape(args[0][:12]))
    since = clock.now() - timedelta(days=EVENTS_DAYS)
    events, stays = await quality.ward_events(tn.uow, actor=tn.actor, ward=ward, since=since)
    safety = await quality.safety_days(tn.uow, clock, ward=ward)
    lines = [tn.t("events.title", ward=html.escape(ward.name), days=EVENTS_DAYS)]
    shown = list(reversed(events))[:LIST_LIMIT]
    lines += [event_line(tn.t, e, stays.get(e.stay_id)) for e in shown] or [tn.t("events.none")]
    if len(events) > LIST_LIMIT:
        lines.append(tn.t("board.more", n=len(events) - LIST_LIMIT))
    lines.append(
        tn.t(
            "board.safety",
            items=" · ".join(
                tn.t(
                    "board.safety_item", what=tn.t(f"quality.type.{c.types[0].value}"), days=c.days
                )
                for c in safety
            ),
        )
    )
    await tn.reply("\n".join(lines))


def _shift_names(tn: Turn, shifts: Sequence[Shift]) -> dict[str, str]:
    return {s.code: tn.t.pick(s.name_zh, s.name_en) for s in shifts}


async def _report(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    clock = tn.runtime.clock
    tz = ZoneInfo(ward.timezone)
    policy = await get_policy(tn.uow, ward=ward)
    names = _shift_names(tn, policy.shifts.shifts)
    if len(args) > 1 or (args and ".." in args[0]):
        first, second = quality.parse_periods(args, tz)
        compared = await quality.compare_periods(
            tn.uow, clock, actor=tn.actor, ward=ward, first=first, second=second
        )
        await tn.reply(quality.comparison_text(ward.name, compared, tn.t))
        return
    if args:
        year, month = quality.parse_month(args[0])
    else:
        # The last whole month: the one a ward's monthly feedback is about.
        today = clock.now().astimezone(tz)
        year, month = shifted_month(today.year, today.month, -1)
    report = await quality.monthly_report(
        tn.uow, clock, actor=tn.actor, ward=ward, year=year, month=month
    )
    # Only reads: end the transaction before drawing (SQLite holds its write lock till then).
    await tn.commit()
    await tn.reply(quality.report_text(report, tn.t, names))
    # matplotlib (and numpy) only when a report is drawn: 60 MB a bot at rest need not hold.
    from boards.quality.charts import report_png

    png = await asyncio.to_thread(report_png, report, tn.t, names)
    label = report.month.period.label
    await tn.context.bot.send_photo(
        tn.chat_id, photo=png, caption=tn.t("report.chart_caption", month=label)
    )
    await tn.context.bot.send_document(
        tn.chat_id,
        document=InputFile(quality.report_csv(report, tn.t), filename=f"report-{label}.csv"),
        caption=tn.t("report.csv_caption", month=label),
    )


_QC_SCORE = {"score", "check", "评分", "检查", "打分"}
_QC_PROBLEM = {"problem", "问题"}
_QC_CLOSE = {"close", "关闭", "整改", "完成"}
_QC_TEAM = {"team", "质控员", "质控组"}
_QC_CATEGORIES = {"categories", "category", "类别", "分类"}
_ADD = {"add", "新增", "添加", "+"}
_REMOVE = {"remove", "del", "删除", "移除", "-"}


def _scores_text(t: Texts, scores: Sequence[int]) -> str:
    return " · ".join(
        f"{t(f'qc.domain.{d}')} {s}" for d, s in zip(QC_DOMAINS, scores, strict=True)
    )


async def _qc_overview(tn: Turn, ward: Ward) -> None:
    view = await checks.qc_overview(tn.uow, actor=tn.actor, ward=ward)
    t = tn.t
    lines = [t("qc.title", ward=html.escape(ward.name))]
    for c in reversed(view.checks):
        lines.append(
            t(
                "qc.check_line",
                number=c.id,
                date=t.date(c.checked_at),
                scores=_scores_text(t, c.scores),
                total=c.total,
            )
        )
    if not view.checks:
        lines.append(t("qc.no_checks"))
    lines.append(t("qc.problems_title", n=len(view.open_problems)))
    for p in view.open_problems[:LIST_LIMIT]:
        lines.append(
            t(
                "qc.problem_line",
                number=p.id,
                category=html.escape(p.category),
                description=html.escape(p.description),
                owner=html.escape(view.names.get(p.owner_id, str(p.owner_id))),
                date=t.date(p.found_at),
            )
        )
    if len(view.open_problems) > LIST_LIMIT:
        lines.append(t("board.more", n=len(view.open_problems) - LIST_LIMIT))
    team = [html.escape(view.names.get(u, str(u))) for u in view.settings.qc_members]
    lines.append(t("qc.team", names="、".join(team) or "—"))
    lines.append(
        t("qc.categories", names=html.escape("、".join(checks.categories(view.settings))))
    )
    await tn.reply("\n".join(lines))


async def _qc(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    clock = tn.runtime.clock
    if not args:
        await _qc_overview(tn, ward)
        return
    action, rest = args[0].lower(), args[1:]
    if action in _QC_SCORE:
        check = await checks.record_check(tn.uow, clock, actor=tn.actor, ward=ward, words=rest)
        await tn.commit()
        scores = _scores_text(tn.t, check.scores)
        await tn.reply(tn.t("qc.check_ok", number=check.id, scores=scores, total=check.total))
    elif action in _QC_PROBLEM:
        problem, owner = await checks.add_problem(
            tn.uow, clock, actor=tn.actor, ward=ward, words=rest
        )
        await tn.commit()
        await tn.reply(
            tn.t(
                "qc.problem_ok",
                number=problem.id,
                category=html.escape(problem.category),
                owner=html.escape(owner.display_name),
            )
        )
        if owner.user_id != tn.user_id:
            owner_t = await texts_for(tn, owner.user_id, ward.locale, ward.timezone)
            await _tell(
                tn,
                owner.user_id,
                owner_t(
                    "qc.owner_notice",
                    ward=html.escape(ward.name),
                    number=problem.id,
                    category=html.escape(problem.category),
                    description=html.escape(problem.description),
                ),
            )
    elif action in _QC_CLOSE:
        if not rest:
            raise BadInput("err.missing_args")
        closed = await checks.close_problem(
            tn.uow, clock, actor=tn.actor, ward=ward, number=rest[0]
        )
        await tn.commit()
        await tn.reply(tn.t("qc.closed_ok", number=closed.id))
    elif action in _QC_TEAM or action in _QC_CATEGORIES:
        if len(rest) < 2 or rest[0].lower() not in _ADD | _REMOVE:
            raise BadInput("err.qc_action", value=html.escape(" ".join(rest)[:16]))
        add = rest[0].lower() in _ADD
        word = " ".join(rest[1:])
        if action in _QC_TEAM:
            _, member = await checks.set_qc_member(
                tn.uow, clock, actor=tn.actor, ward=ward, add=add, word=word
            )
            await tn.commit()
            key = "qc.team_added" if add else "qc.team_removed"
            await tn.reply(tn.t(key, name=html.escape(member.display_name)))
        else:
            settings = await checks.edit_categories(
                tn.uow, clock, actor=tn.actor, ward=ward, add=add, word=word
            )
            await tn.commit()
            names = "、".join(checks.categories(settings))
            await tn.reply(tn.t("qc.categories_ok", names=html.escape(names)))
    else:
        raise BadInput("err.qc_action", value=html.escape(args[0][:16]))


QUALITY_COMMANDS = {"event": _event, "events": _events, "report": _report, "qc": _qc}
