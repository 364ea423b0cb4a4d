"""The ward policy as a view: clock times per frequency, shifts, group notes, line care."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import timedelta

from boards.i18n import Texts
from boards.schedule import Frequency, WardPolicy
from boards.views.rich import Line, markup, text

__all__ = ["SHOWN_FREQUENCIES", "PolicyView", "policy_view"]

SHOWN_FREQUENCIES = (Frequency.QD, Frequency.BID, Frequency.TID, Frequency.QID, Frequency.Q6H,
                     Frequency.Q8H, Frequency.Q12H, Frequency.QN, Frequency.HS)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PolicyView:
    """`/policy`: title (lead and escalation minutes), the medication clock times, the
    shifts, whether the group sees free text, the line-care intervals, the hint."""

    lines: tuple[Line, ...]


def _interval(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24}d" if hours % 24 == 0 else f"{hours}h"


def policy_view(policy: WardPolicy, t: Texts) -> PolicyView:
    zh = t.locale.startswith("zh")
    lines = [
        markup(t("policy.title", lead=policy.lead_minutes, escalate=policy.escalation_minutes))
    ]
    for freq in SHOWN_FREQUENCIES:
        times = " ".join(at.strftime("%H:%M") for at in policy.medication.times_for(freq))
        lines.append(text(f"{freq.value}: {times}"))
    shifts = " · ".join(
        f"{s.name_zh if zh else s.name_en} {s.start.strftime('%H:%M')}"
        for s in policy.shifts.shifts
    )
    lines.append(markup(t("policy.shifts", shifts=html.escape(shifts))))
    lines.append(
        markup(t("policy.group_notes_on" if policy.group_notes else "policy.group_notes_off"))
    )
    lines.append(markup(t("policy.care")))
    for line, rules in policy.line_care.rules.items():
        for rule in rules:
            name = rule.name_zh if zh else rule.name_en
            at = f" {rule.at.strftime('%H:%M')}" if rule.at else ""
            lines.append(text(f"{line} {rule.code}: {name} {_interval(rule.interval)}{at}"))
    lines.append(markup(t("policy.hint")))
    return PolicyView(lines=tuple(lines))
