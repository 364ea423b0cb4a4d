"""Line-care policy: the recurring care rules for each line code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

from boards.lines import LINE_CODES
from boards.schedule._common import (
    _ONE_DAY,
    _RULE_CODE_RE,
    _check_clock,
    _int,
    _line_key,
    _mapping,
    _sequence,
    _str,
    _time_from_json,
    _time_to_json,
)
from boards.schedule.errors import PolicyError, ScheduleError

Anchor = Literal["insertion", "clock"]
_ANCHORS: Final = frozenset(get_args(Anchor))


@dataclass(frozen=True, slots=True, kw_only=True)
class CareRule:
    """One recurring care task for a line type.

    ``anchor="insertion"``: due at insertion + k * interval (k >= 1), in elapsed time, so a
    96 h cannula is replaced 96 real hours after insertion whatever the clocks do.
    ``anchor="clock"``: due at the ward-local clock time ``at`` on the local dates k *
    interval (k >= 1) ward days after the insertion date, counted as qod counts them (a date
    the zone skips is not a day); the interval must then be a whole number of days.
    """

    code: str
    name_zh: str
    name_en: str
    interval: timedelta
    anchor: Anchor
    at: time | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _RULE_CODE_RE.fullmatch(self.code):
            raise PolicyError("schedule.policy.bad_rule_code", rule=str(self.code))
        where: dict[str, str | int] = {"rule": self.code}
        if not (isinstance(self.name_zh, str) and self.name_zh.strip()) or not (
            isinstance(self.name_en, str) and self.name_en.strip()
        ):
            raise PolicyError("schedule.policy.missing_name", **where)
        if (
            not isinstance(self.interval, timedelta)
            or self.interval <= timedelta(0)
            or self.interval % timedelta(minutes=1)
        ):
            raise PolicyError("schedule.policy.bad_interval", **where)
        if self.anchor not in _ANCHORS:
            raise PolicyError("schedule.policy.bad_anchor", anchor=str(self.anchor), **where)
        if self.anchor == "clock":
            if self.at is None:
                raise PolicyError("schedule.policy.clock_needs_time", **where)
            _check_clock(self.at, **where)
            if self.interval % _ONE_DAY:
                raise PolicyError("schedule.policy.clock_needs_days", **where)
        elif self.at is not None:
            raise PolicyError("schedule.policy.insertion_takes_no_time", **where)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "interval_minutes": self.interval // timedelta(minutes=1),
            "anchor": self.anchor,
            "at": None if self.at is None else _time_to_json(self.at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object], path: str = "rule") -> CareRule:
        anchor = _str(data.get("anchor"), f"{path}.anchor")
        if anchor not in _ANCHORS:
            raise PolicyError("schedule.policy.bad_anchor", anchor=anchor, rule=path)
        raw_at = data.get("at")
        return cls(
            code=_str(data.get("code"), f"{path}.code"),
            name_zh=_str(data.get("name_zh"), f"{path}.name_zh"),
            name_en=_str(data.get("name_en"), f"{path}.name_en"),
            interval=timedelta(minutes=_int(data.get("interval_minutes"), f"{path}.interval")),
            anchor="clock" if anchor == "clock" else "insertion",
            at=None if raw_at is None else _time_from_json(raw_at, rule=path),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LineCarePolicy:
    """Care rules per line code (boards.lines); a code without rules creates no care tasks."""

    rules: Mapping[str, tuple[CareRule, ...]]

    def __post_init__(self) -> None:
        checked: dict[str, tuple[CareRule, ...]] = {}
        for key, rules in self.rules.items():
            line = _line_key(key)
            rules = tuple(rules)
            codes: set[str] = set()
            for rule in rules:
                if not isinstance(rule, CareRule):
                    raise PolicyError("schedule.policy.malformed", path=f"line_care.{line}")
                if rule.code in codes:
                    raise PolicyError("schedule.policy.duplicate_rule", line=line, rule=rule.code)
                codes.add(rule.code)
            checked[line] = rules
        object.__setattr__(
            self, "rules", MappingProxyType({t: checked[t] for t in LINE_CODES if t in checked})
        )

    def __hash__(self) -> int:
        return hash(tuple(self.rules.items()))

    def rules_for(self, line_code: str) -> tuple[CareRule, ...]:
        return self.rules.get(_line_type(line_code), ())

    def to_dict(self) -> dict[str, Any]:
        return {t: [r.to_dict() for r in rules] for t, rules in self.rules.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> LineCarePolicy:
        rules: dict[str, tuple[CareRule, ...]] = {}
        for key, raw_rules in data.items():
            path = f"line_care.{key}"
            rules[_line_key(key)] = tuple(
                CareRule.from_dict(_mapping(raw, f"{path}.{i}"), f"{path}.{i}")
                for i, raw in enumerate(_sequence(raw_rules, path))
            )
        return cls(rules=rules)


def default_line_care_policy() -> LineCarePolicy:
    """Common Chinese-ward line care; every interval is the ward's to change."""

    def daily(code: str, zh: str, en: str, at: time = time(10)) -> CareRule:
        # 10:00: after the 08:00-09:00 medication round, inside the day shift.
        return CareRule(
            code=code, name_zh=zh, name_en=en, interval=_ONE_DAY, anchor="clock", at=at
        )

    def every(code: str, zh: str, en: str, interval: timedelta) -> CareRule:
        return CareRule(code=code, name_zh=zh, name_en=en, interval=interval, anchor="insertion")

    week = timedelta(days=7)
    dressing = every("dressing", "更换透明敷料", "Change transparent dressing", week)
    # 07:00: 24-hour drainage totals close at the end of the night shift.
    output = daily("output_record", "记录引流量", "Record drainage output", time(7))
    return LineCarePolicy(
        rules={
            "piv": (
                daily("site_check", "穿刺部位评估", "Check insertion site"),
                every("replace", "更换留置针", "Replace cannula", timedelta(hours=96)),
            ),
            "picc": (
                dressing,
                every("flush_connector", "冲管及更换接头", "Flush and change connector", week),
            ),
            "cvc": (
                daily("necessity_review", "评估留置必要性", "Review need for line"),
                dressing,
                every("connector", "更换输液接头", "Change connector", week),
            ),
            # Implanted port between treatments: flush every 4 weeks (治疗间歇期每4周维护).
            "port": (every("flush", "冲管维护", "Flush and maintain", timedelta(days=28)),),
            "urinary": (daily("necessity_review", "评估留置必要性", "Review need for catheter"),),
            "ngt": (
                daily("position_check", "检查胃管位置及固定", "Check tube position and fixation"),
            ),
            "drain": (output,),
            "chest_drain": (output,),
            "ett": (
                daily("fixation_check", "检查插管深度及固定", "Check tube depth and fixation"),
            ),
            "trach": (daily("stoma_care", "气切口护理", "Stoma care and dressing"),),
        }
    )


def _line_type(line_code: str) -> str:
    if line_code not in LINE_CODES:
        raise ScheduleError("schedule.unknown_line", line=line_code)
    return line_code
