"""`/policy`: the ward's medication clock times, lead and escalation minutes (head nurse)."""

from __future__ import annotations

import dataclasses
import html

from boards import tasks
from boards.errors import BadInput
from boards.schedule import (
    Frequency,
    WardPolicy,
    parse_clock,
    parse_frequency,
    parse_route,
)
from bot.turn import Turn

__all__ = ["POLICY_COMMANDS"]

_SHOWN = (Frequency.QD, Frequency.BID, Frequency.TID, Frequency.QID, Frequency.Q6H,
          Frequency.Q8H, Frequency.Q12H, Frequency.QN, Frequency.HS)  # fmt: skip
_LEAD = ("lead", "提前")
_ESCALATE = ("escalate", "escalation", "逾期", "升级")


def _describe(tn: Turn, policy: WardPolicy) -> str:
    lines = [tn.t("policy.title", lead=policy.lead_minutes, escalate=policy.escalation_minutes)]
    for freq in _SHOWN:
        times = " ".join(t.strftime("%H:%M") for t in policy.medication.times_for(freq))
        lines.append(f"{freq.value}: {times}")
    lines.append(tn.t("policy.hint"))
    return "\n".join(lines)


def _minutes(word: str) -> int:
    if not word.isdigit():
        raise BadInput("err.policy_minutes", value=html.escape(word[:12]))
    return int(word)


async def _policy(tn: Turn, args: list[str]) -> None:
    ward, _ = await tn.ward()
    policy = await tasks.get_policy(tn.uow, ward=ward)
    if not args:
        await tn.reply(_describe(tn, policy))
        return
    head = args[0].lower()
    if head in _LEAD and len(args) == 2:
        new = dataclasses.replace(policy, lead_minutes=_minutes(args[1]))
    elif head in _ESCALATE and len(args) == 2:
        new = dataclasses.replace(policy, escalation_minutes=_minutes(args[1]))
    else:
        # `[route] freq HH:MM ...`: a route first sets that route's own table.
        route = parse_route(args[0]) if len(args) > 2 else None
        words = args[1:] if route is not None else args
        freq = parse_frequency(words[0])
        if freq is None:
            raise BadInput("err.med_freq", value=words[0][:12])
        times = [parse_clock(w) for w in words[1:]]
        if not times or any(t is None for t in times):
            raise BadInput("err.time_form", value=" ".join(words[1:])[:16])
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
        + _describe(tn, change.policy)
    )


POLICY_COMMANDS = {"policy": _policy}
