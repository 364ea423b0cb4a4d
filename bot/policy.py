"""`/policy`: the ward's medication clock times, lead and escalation minutes (head nurse)."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta

from boards import services, tasks
from boards.errors import BadInput
from boards.i18n import normalise_locale
from boards.lines import DEFAULT_LINES, resolve_line
from boards.model import NursingLevel, Ward
from boards.schedule import (
    LineCarePolicy,
    ShiftPolicy,
    WardPolicy,
    parse_clock,
    parse_frequency,
    parse_route,
)
from boards.schedule.colours import BoardColours
from boards.text import excerpt, typed_number
from boards.views.policy import policy_view
from boards.views.telegram_html import policy_html
from bot.turn import Turn

__all__ = ["POLICY_COMMANDS"]

_LEAD = ("lead", "提前")
_ESCALATE = ("escalate", "escalation", "逾期", "升级")
_GROUP_NOTES = ("groupnotes", "群备注")
_HANDOVER = ("handover", "交班", "接班")
_ON, _OFF = ("on", "开", "开启", "显示"), ("off", "关", "关闭", "隐藏")


def _on_off(words: list[str]) -> bool:
    word = words[0].lower() if len(words) == 1 else ""
    if word in _ON or word in _OFF:
        return word in _ON
    raise BadInput("err.policy_on_off", value=html.escape(" ".join(words)[:12]))


def _describe(tn: Turn, policy: WardPolicy, ward_locale: str) -> str:
    return policy_html(policy_view(policy, tn.t, ward_locale=ward_locale))


_INTERVAL = re.compile(r"^(\d{1,3})\s*(d|天|h|小时)$", re.IGNORECASE)


def _care(policy: WardPolicy, words: list[str]) -> WardPolicy:
    """`care <line> <rule> <N>d|<N>h`: a line-care interval for future tasks."""
    if len(words) != 3:
        raise BadInput("err.missing_args")
    line, rule_code, every = words
    m = _INTERVAL.match(every)
    if m is None or int(m.group(1)) == 0:
        raise BadInput("err.policy_interval", value=excerpt(every, 12))
    unit = m.group(2).lower()
    delta = (
        timedelta(days=int(m.group(1)))
        if unit in ("d", "天")
        else timedelta(hours=int(m.group(1)))
    )
    rules = dict(policy.line_care.rules)
    # The line as /line reads it: its code, name or alias (ngt, ng, 胃管).
    kind = resolve_line(line, DEFAULT_LINES)
    if kind is None or not any(r.code == rule_code for r in rules.get(kind.code, ())):
        raise BadInput("err.policy_care_rule", value=excerpt(f"{line} {rule_code}", 24))
    rules[kind.code] = tuple(
        dataclasses.replace(r, interval=delta) if r.code == rule_code else r
        for r in rules[kind.code]
    )
    return dataclasses.replace(policy, line_care=LineCarePolicy(rules=rules))


_COLOUR_WORDS = ("colour", "color", "colours", "colors", "颜色", "色")
_COLOUR_TARGETS = {
    **{w: NursingLevel.SPECIAL.value for w in ("特级", "特级护理", "special", "s")},
    **{w: NursingLevel.ONE.value for w in ("一级", "一级护理", "1", "l1")},
    **{w: NursingLevel.TWO.value for w in ("二级", "二级护理", "2", "l2")},
    **{w: NursingLevel.THREE.value for w in ("三级", "三级护理", "3", "l3")},
    **{w: "critical" for w in ("病危", "critical")},
    **{w: "serious" for w in ("病重", "serious")},
    **{w: "overdue" for w in ("逾期", "超时", "overdue")},
}
_HEX = re.compile(r"#?([0-9A-Fa-f]{6})")


def _colours_text(tn: Turn, colours: BoardColours) -> str:
    parts = [f"{tn.t('level.' + level.value)} {colours.level(level)}" for level in NursingLevel]
    parts += [
        f"{tn.t('critical.critical')} {colours.critical}",
        f"{tn.t('critical.serious')} {colours.serious}",
        f"{tn.t('picture.overdue_word')} {colours.overdue}",
    ]
    return tn.t("policy.colours", colours=" · ".join(parts))


def _colour(policy: WardPolicy, words: list[str]) -> WardPolicy:
    """`colour 一级 #F06292` (a level or a mark: 病危, 病重, 逾期), or `colour reset`."""
    if len(words) == 1 and words[0].lower() in ("reset", "default", "默认", "恢复"):
        return dataclasses.replace(policy, colours=BoardColours())
    if len(words) != 2:
        raise BadInput("err.policy_colour", value=excerpt(" ".join(words), 24))
    target = _COLOUR_TARGETS.get(words[0].lower())
    m = _HEX.fullmatch(words[1])
    if target is None or m is None:
        raise BadInput("err.policy_colour", value=excerpt(" ".join(words), 24))
    return dataclasses.replace(policy, colours=policy.colours.with_colour(target, f"#{m[1]}"))


async def _set_colour(tn: Turn, ward: Ward, policy: WardPolicy, words: list[str]) -> None:
    change = await tasks.set_policy(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, policy=_colour(policy, words)
    )
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(tn.t("policy.colours_ok") + "\n" + _colours_text(tn, change.policy.colours))


def _minutes(word: str) -> int:
    minutes = typed_number(word, most=99_999)
    if minutes is None:
        raise BadInput("err.policy_minutes", value=excerpt(word, 12))
    return minutes


def _shift(policy: WardPolicy, name: str, start: str) -> WardPolicy:
    """`shift 白班 07:30`: when a shift starts (it ends when the next one starts)."""
    at = parse_clock(start)
    if at is None:
        raise BadInput("err.time_form", value=excerpt(start))
    shifts = policy.shifts.shifts
    if not any(name in (s.code, s.name_zh, s.name_en) for s in shifts):
        raise BadInput("err.policy_shift", value=excerpt(name, 12))
    changed = tuple(
        dataclasses.replace(s, start=at) if name in (s.code, s.name_zh, s.name_en) else s
        for s in shifts
    )
    return dataclasses.replace(policy, shifts=ShiftPolicy(shifts=changed))


_LANG = frozenset({"lang", "language", "语言", "語言"})


async def _ward_lang(tn: Turn, word: str) -> None:
    """`lang tw`: the ward's language, for the board, group messages and signs."""
    locale = normalise_locale(word)
    if locale is None:
        raise BadInput("err.lang_form")
    ward, _ = await tn.ward()
    await services.set_ward_locale(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, locale=locale
    )
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(tn.t("policy.lang_ok", lang=tn.t(f"lang.name_{locale}")))


async def _policy(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    policy = await tasks.get_policy(tn.uow, ward=ward)
    if not args:
        await tn.reply(_describe(tn, policy, ward.locale))
        return
    head = args[0].lower()
    if head in _COLOUR_WORDS and len(args) == 1:
        await tn.reply(_colours_text(tn, policy.colours))
        return
    if head in _COLOUR_WORDS:
        await _set_colour(tn, ward, policy, args[1:])
        return
    if head in _LEAD and len(args) == 2:
        new = dataclasses.replace(policy, lead_minutes=_minutes(args[1]))
    elif head in _ESCALATE and len(args) == 2:
        new = dataclasses.replace(policy, escalation_minutes=_minutes(args[1]))
    elif head in _HANDOVER and len(args) == 2:
        new = dataclasses.replace(policy, handover_minutes=_minutes(args[1]))
    elif head in ("care", "导管护理"):
        new = _care(policy, args[1:])
    elif head in ("shift", "班次") and len(args) == 3:
        new = _shift(policy, args[1], args[2])
    elif head in ("retention", "保留") and len(args) == 2:
        days = typed_number(args[1], most=99_999)
        if days is None:
            raise BadInput("err.policy_days", value=excerpt(args[1], 12))
        new = dataclasses.replace(policy, retention_days=days)
    elif head in _LANG and len(args) == 2:
        await _ward_lang(tn, args[1])
        return
    elif head in _GROUP_NOTES:
        new = dataclasses.replace(policy, group_notes=_on_off(args[1:]))
    else:
        # `[route] freq HH:MM ...`: a route first sets that route's own table.
        route = parse_route(args[0]) if len(args) > 2 else None
        words = args[1:] if route is not None else args
        freq = parse_frequency(words[0])
        if freq is None:
            raise BadInput("err.med_freq", value=excerpt(words[0], 12))
        times = [parse_clock(w) for w in words[1:]]
        if not times or any(t is None for t in times):
            raise BadInput("err.time_form", value=excerpt(" ".join(words[1:])))
        medication = policy.medication.with_times(
            freq, [t for t in times if t is not None], route=route
        )
        new = dataclasses.replace(policy, medication=medication)
    change = await tasks.set_policy(
        tn.uow, tn.runtime.clock, actor=tn.actor, ward=ward, policy=new
    )
    tn.changed(ward.id)
    await tn.commit()
    await tn.reply(
        tn.t("policy.ok", added=change.added, cancelled=len(change.cancelled))
        + "\n"
        + _describe(tn, change.policy, ward.locale)
    )


POLICY_COMMANDS = {"policy": _policy}
